import { describe, expect, test } from 'vitest';
import { parseArgv0Basename, parseComm, processMatches } from '../../../../../exporter/sources/parsers/proc-pid.ts';

describe('/proc/<pid>/comm and cmdline', () => {
  test('comm is the name without its newline', () => {
    expect(parseComm('rts2-centrald\n')).toBe('rts2-centrald');
    expect(parseComm('kworker/0:1-events\n')).toBe('kworker/0:1-events');
    expect(parseComm('odd name\n')).toBe('odd name');
    expect(parseComm('')).toBe('');
  });

  test('argv[0] basename: the first NUL-separated argument, after its last slash', () => {
    expect(parseArgv0Basename('/usr/local/bin/rts2-centrald\0--debug\0')).toBe('rts2-centrald');
    expect(parseArgv0Basename('rts2-teld-bootes\0-d\0/dev/ttyS0\0')).toBe('rts2-teld-bootes');
    expect(parseArgv0Basename('/opt/my tools/camd\0')).toBe('camd');
    // A kernel thread or zombie has an empty cmdline; a rewritten title may have no NUL at all.
    expect(parseArgv0Basename('')).toBe('');
    expect(parseArgv0Basename('/usr/sbin/tcsd')).toBe('tcsd');
  });
});

describe('processMatches', () => {
  const never = () => {
    throw new Error('argv[0] must not be read when the comm decides');
  };

  test('the comm decides for names of up to 15 characters, without reading cmdline', () => {
    expect(processMatches('rts2-centrald', 'rts2-centrald', never)).toBe(true);
    expect(processMatches('rts2-centrald', 'rts2-centrald2', never)).toBe(false);
    expect(processMatches('sshd', 'sshd-session', never)).toBe(false);
    expect(processMatches('rts2-camd-andor', 'rts2-camd-andor', never)).toBe(true);
  });

  test('a longer name, which the kernel cuts to 15 characters, is matched on argv[0]', () => {
    expect(processMatches('rts2-camd-andor-ikon', 'rts2-camd-andor', () => 'rts2-camd-andor-ikon')).toBe(true);
    expect(processMatches('rts2-camd-andor-ikon', 'rts2-camd-andor', () => 'rts2-camd-andor-newton')).toBe(false);
    expect(processMatches('rts2-camd-andor-ikon', 'rts2-camd-apogee', never)).toBe(false);
    expect(processMatches('rts2-camd-andor-ikon', 'rts2-camd-and', never)).toBe(false);
  });
});

/**
 * Accept the flags RTS2 operators type out of habit, mapped to obsmon's loader: `-d NAME` (and
 * `-dNAME`) is `--device NAME`, `--debug` is `--log-level debug`, and `-i` ("do not daemonize") is
 * dropped since obsmon never daemonizes. Everything else passes unchanged.
 */
export function rts2Argv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '-d') {
      out.push('--device');
      if (i + 1 < argv.length) out.push(argv[++i]!);
    } else if (arg.startsWith('-d') && !arg.startsWith('--')) {
      out.push('--device', arg.slice(2));
    } else if (arg === '--debug') {
      out.push('--log-level', 'debug');
    } else if (arg !== '-i') {
      out.push(arg);
    }
  }
  return out;
}

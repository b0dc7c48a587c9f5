import { hostname } from 'node:os';
import * as z from '../config/zod.ts';
import { DEFAULT_HTTP_PORT } from '../protocol/ports.ts';
import { address, logLevel, optionalPath, port, positiveInt, seconds } from '../config/common-schemas.ts';
import { option, type OptionValues } from '../config/option.ts';
import { parseHostPort, type HostPort } from '../lib/host-port.ts';
import { NODE_PATTERN } from '../protocol/keys.ts';

/** rts2-centrald's port unless `--server` names one (configure.ac `--with-port`). */
export const DEFAULT_CENTRALD_PORT = 617;

const deviceName = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_]{1,49}$/, { error: 'expected an RTS2 device name: 1..49 letters, digits or _' }));
const server = z
  .string()
  .check(z.refine((s) => parseServer(s) !== undefined, { error: 'expected <host[:port]>, e.g. 127.0.0.1:617' }));
const httpUrl = z.string().check(
  z.refine((s) => /^https?:\/\/[^\s/]+/.test(s) && URL.canParse(s), {
    error: 'expected an http:// URL, e.g. http://127.0.0.1:7080',
  }),
);
const nodeNames = z.array(z.string().check(z.regex(NODE_PATTERN, { error: 'expected node names as in the protocol' })));
const groupNames = z.array(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected group names' })));

export const sensordOptionSpecs = {
  device: option('string', deviceName, 'OBSMON', 'RTS2 device name (RTS2 style: -d <name>)', '<name>'),
  server: option(
    'string',
    server,
    `localhost:${DEFAULT_CENTRALD_PORT}`,
    `rts2-centrald to register with; port ${DEFAULT_CENTRALD_PORT} if omitted`,
    '<host[:port]>',
  ),
  localPort: option('number', port, 0, 'Port rts2-mon and other clients connect to; 0 = chosen by the system', '<n>'),
  localhost: option(
    'string',
    address,
    hostname(),
    'Host name or address registered with centrald: clients connect to it',
    '<host>',
  ),
  bind: option(
    'string',
    address,
    '0.0.0.0',
    'Address the client port listens on (RTS2 devices listen on all)',
    '<addr>',
  ),
  bridge: option(
    'string',
    httpUrl,
    `http://127.0.0.1:${DEFAULT_HTTP_PORT}`,
    'HTTP URL of the obsmon bridge (its --http-port)',
    '<url>',
  ),
  nodes: option('list', nodeNames, [], 'Show only these nodes (default: all)', '<node>'),
  groups: option('list', groupNames, [], 'Show only nodes of these inventory groups (default: all)', '<group>'),
  interval: option(
    'number',
    seconds(0.1, 3600),
    5,
    'Poll the bridge this often; status changes arrive at once through its stream',
    '<seconds>',
  ),
  nodeValues: option(
    'string',
    z.enum(['summary', 'full'], { error: 'expected summary or full' }),
    'summary',
    'Values per node: summary (one line per node, coloured by its worst figure) or full (up, age, cpu, mem, each disk, network)',
    '<summary|full>',
  ),
  maxNodes: option(
    'number',
    positiveInt(100_000),
    500,
    'Nodes shown at most; RTS2 cannot delete values, so invented names must stop somewhere',
    '<n>',
  ),
  thresholds: option(
    'string',
    optionalPath,
    undefined,
    "Thresholds file: the bridge's --thresholds (default: the built-in config/thresholds.yaml)",
    '<file>',
  ),
  thresholdWrites: option(
    'string',
    z.enum(['local', 'file'], { error: 'expected local or file' }),
    'local',
    'Edits of cpu_warn, disk_err, ... from rts2-mon: local (this process only) or file (also saved into --thresholds)',
    '<local|file>',
  ),
  hwErrorFrom: option(
    'string',
    z.enum(['auto', 'critical', 'all', 'none'], { error: 'expected auto, critical, all or none' }),
    'auto',
    'Whose errors set HW ERROR: auto (critical nodes; all nodes when none is critical), critical, all, none',
    '<auto|critical|all|none>',
  ),
  observatoryVeto: option(
    'string',
    z.enum(['none', 'bad-weather'], { error: 'expected none or bad-weather' }),
    'none',
    'DANGEROUS: bad-weather sets BAD_WEATHER while HW ERROR holds, and centrald closes the observatory',
    '<none|bad-weather>',
  ),
  noauth: option(
    'boolean',
    z.boolean({ error: 'expected true or false' }),
    false,
    'Serve clients without the centrald key check (RTS2 --noauth)',
  ),
  logLevel: option('string', logLevel, 'info', 'debug, info, warn or error (RTS2 style: --debug)', '<level>'),
};

export type SensordOptions = OptionValues<typeof sensordOptionSpecs>;

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address (RTS2 `HostString`). */
export function parseServer(text: string): HostPort | undefined {
  return parseHostPort(text, DEFAULT_CENTRALD_PORT);
}

import * as z from '../config/zod.ts';
import { byteSize } from '../lib/option-schemas.ts';
import { address, hostPort, logLevel, optionalPath, port, positiveInt, seconds } from '../config/common-schemas.ts';
import { option, type OptionValues } from '../config/option.ts';
import { NODE_PATTERN, QUALIFIER_PATTERN } from '../protocol/keys.ts';
import { COLLECTOR_NAMES, DEFAULT_COLLECTORS } from './collectors/index.ts';
import { defaultNodeName } from './node-name.ts';

const DAY = 86_400;
/** 16 MiB: about 160 000 reports, far above the default --queue-max-reports (8640, ≈ 1 MB). */
export const DEFAULT_QUEUE_MAX_BYTES = 16 * 1024 * 1024;

/** `auto` alone, or a list of names. */
const autoOrList = (what: string) =>
  z.array(z.string().check(z.minLength(1, { error: `expected ${what}` }))).check(
    z.minLength(1, { error: `expected auto or a list of ${what}` }),
    z.refine((list) => !list.includes('auto') || list.length === 1, { error: 'auto cannot be combined with names' }),
  );

/** At most 16 names, so the names' keys (`proc_count@<name>=<n>`, ≤ 80 bytes each) stay far from the bridge's line limit. */
export const MAX_PROCESS_NAMES = 16;
const processNames = z
  .array(
    z
      .string()
      .check(z.regex(QUALIFIER_PATTERN, { error: 'expected a process name of 1-64 visible ASCII characters, no "="' })),
  )
  .check(
    z.maxLength(MAX_PROCESS_NAMES, { error: `expected at most ${MAX_PROCESS_NAMES} process names` }),
    z.refine((list) => new Set(list).size === list.length, { error: 'a process name is listed twice' }),
  );

const collectorList = z
  .array(
    z.enum(COLLECTOR_NAMES as [string, ...string[]], {
      error: `expected collectors among ${COLLECTOR_NAMES.join(', ')}`,
    }),
  )
  .check(z.minLength(1, { error: 'expected at least one collector' }));

export const exporterOptionSpecs = {
  server: option(
    'list',
    z.array(hostPort).check(z.minLength(1, { error: 'expected at least one <host:port>' })),
    ['127.0.0.1:7070'],
    'Bridge to send to; several = failover order',
    '<host:port>',
  ),
  node: option(
    'string',
    z.string().check(z.regex(NODE_PATTERN, { error: 'expected letters, digits, _ . : - (at most 64)' })),
    defaultNodeName(),
    'Name of this machine in reports; the default is the short host name',
    '<name>',
  ),
  interval: option('number', seconds(0.1, DAY), 10, 'Seconds between reports, aligned to the wall clock', '<seconds>'),
  collectors: option(
    'list',
    collectorList,
    DEFAULT_COLLECTORS,
    `Collectors to run: ${COLLECTOR_NAMES.join(', ')}`,
    '<names>',
  ),
  mounts: option(
    'list',
    autoOrList('mount points'),
    ['auto'],
    'Filesystems to report: / as disk, others as disk@<mount>; auto = every local disk filesystem',
    '<paths>',
  ),
  interfaces: option(
    'list',
    autoOrList('interface names'),
    ['auto'],
    'Interfaces summed into rx/tx, each also reported as rx@<if>; auto = physical ones, sum only',
    '<names>',
  ),
  process: option(
    'list',
    processNames,
    [],
    'Processes to count by name (comm, or argv[0] for names over 15 characters): proc_count@<name>, 0 = not running',
    '<names>',
  ),
  textfileDir: option(
    'string',
    optionalPath,
    undefined,
    'Directory of *.txt files of key=value lines (custom keys), read every cycle and added to the report',
    '<dir>',
  ),
  queueMaxReports: option(
    'number',
    positiveInt(10_000_000),
    8640,
    'Reports kept while no bridge is reachable; the oldest go first',
    '<n>',
  ),
  queueMaxAge: option(
    'number',
    seconds(1, 365 * DAY),
    DAY,
    'Queued reports older than this are dropped (match the bridge --backfill-window)',
    '<seconds>',
  ),
  queueMaxBytes: option(
    'number',
    byteSize(4096, 2 ** 30),
    DEFAULT_QUEUE_MAX_BYTES,
    'Bytes of reports kept while unsent or unacknowledged (memory and --queue-dir); the oldest go first',
    '<bytes>',
  ),
  queueDir: option(
    'string',
    optionalPath,
    undefined,
    "Keep the queue on disk here too (fsync'd before sending), so a restart or reboot keeps the backlog; default: memory only",
    '<dir>',
  ),
  source: option(
    'string',
    z.enum(['auto', 'procfs', 'systeminformation'], { error: 'expected auto, procfs or systeminformation' }),
    'auto',
    'How values are read: auto = procfs on Linux, systeminformation elsewhere',
    '<kind>',
  ),
  metricsPort: option('number', port, 0, "Serve the agent's own /metrics on this port; 0 = off", '<n>'),
  metricsBind: option('string', address, '127.0.0.1', 'Address of the own /metrics listener', '<addr>'),
  once: option(
    'boolean',
    z.boolean({ error: 'expected true or false' }),
    false,
    'Print the line that would be sent, to stdout, and exit',
  ),
  tokenFile: option(
    'string',
    z.optional(z.string().check(z.minLength(1))),
    undefined,
    'File holding the token sent as "AUTH <token>" (bridge --auth)',
    '<file>',
  ),
  tls: option('boolean', z.boolean({ error: 'expected true or false' }), false, 'Connect with TLS (bridge --tls-port)'),
  tlsCa: option(
    'string',
    z.optional(z.string().check(z.minLength(1))),
    undefined,
    'PEM CA that signed the bridge certificate (default: system CAs)',
    '<file>',
  ),
  tlsCert: option(
    'string',
    z.optional(z.string().check(z.minLength(1))),
    undefined,
    'PEM client certificate (bridge --tls-client-ca); its CN names this node',
    '<file>',
  ),
  tlsKey: option(
    'string',
    z.optional(z.string().check(z.minLength(1))),
    undefined,
    'PEM key of the client certificate',
    '<file>',
  ),
  logLevel: option('string', logLevel, 'info', 'debug, info, warn or error', '<level>'),
};

export type ExporterOptions = OptionValues<typeof exporterOptionSpecs>;

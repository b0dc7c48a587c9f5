import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { checkBridgeOptions } from '../bridge/bridge.ts';
import { httpAuth } from '../bridge/expose/http-auth.ts';
import { ingestOptions, tlsOptions } from '../bridge/ingest/ingest-options.ts';
import { bridgeOptionSpecs, type BridgeOptions } from '../bridge/options.ts';
import { eventsFilePath } from '../bridge/state/event-history-file.ts';
import { loadInventory, readInventoryFile } from '../bridge/state/inventory.ts';
import { describeRule, loadSafetyRules, unmatchedRules } from '../bridge/state/safety-rules.ts';
import { BUILTIN_THRESHOLDS_PATH, loadThresholdsConfig } from '../config/thresholds.ts';
import { databaseConfig } from '../bridge/store/store-config.ts';
import { ConfigError } from '../config/config-error.ts';
import { loadOptions } from '../config/load.ts';
import type { OptionSpecs, OptionValues } from '../config/option.ts';
import { checkExporterOptions } from '../exporter/check-options.ts';
import { senderCredentials } from '../exporter/credentials.ts';
import { exporterOptionSpecs, type ExporterOptions } from '../exporter/options.ts';
import { sensordOptionSpecs, type SensordOptions } from '../rts2-sensord/options.ts';
import { rts2Argv } from '../rts2-sensord/rts2-argv.ts';
import { checkSensordOptions } from '../rts2-sensord/sensord.ts';
import { plural } from '../lib/plural.ts';

/** One thing a subcommand loads at start-up; returns what it found, throws a ConfigError if it cannot work. */
type Check = readonly [name: string, run: () => string];

interface Subcommand<S extends OptionSpecs> {
  readonly specs: S;
  readonly argv?: (argv: readonly string[]) => readonly string[];
  readonly checks: (options: OptionValues<S>) => readonly Check[];
}

const subcommand = <S extends OptionSpecs>(s: Subcommand<S>) => s as unknown as Subcommand<OptionSpecs>;

/**
 * What each subcommand reads before it opens a socket, in start-up order, through the same functions
 * start-up uses, so a check cannot pass what start-up would refuse. Nothing here touches the network.
 */
const SUBCOMMANDS: ReadonlyMap<string, Subcommand<OptionSpecs>> = new Map([
  ['bridge', subcommand({ specs: bridgeOptionSpecs, checks: bridgeChecks })],
  ['exporter', subcommand({ specs: exporterOptionSpecs, checks: exporterChecks })],
  ['rts2-sensord', subcommand({ specs: sensordOptionSpecs, argv: rts2Argv, checks: sensordChecks })],
]);

function bridgeChecks(o: BridgeOptions): Check[] {
  return [
    ['option combinations', () => (checkBridgeOptions(o), 'ok')],
    thresholdsCheck(o.thresholds),
    ['inventory', () => (o.inventory === undefined ? 'none (--inventory not set)' : inventorySummary(o.inventory))],
    [
      'safety rules',
      () => {
        if (o.safetyRules === undefined) return 'none (--safety-rules not set): /api/v1/safety/indi is advisory only';
        const rules = loadSafetyRules(o.safetyRules);
        let warnings: string[] = [];
        try {
          // An invalid inventory is the inventory check's failure; the names are then not cross-checked.
          if (o.inventory !== undefined)
            warnings = unmatchedRules(rules, loadInventory(o.inventory)).map((w) => `; warning: ${w}`);
        } catch {
          // reported by the inventory check
        }
        return `${o.safetyRules}: ${rules.length} ${rules.length === 1 ? 'rule' : 'rules'}${rules.length === 0 ? '' : ` (unsafe ${rules.map((r) => `{ ${describeRule(r)} }`).join(', ')})`}${warnings.join('')}`;
      },
    ],
    [
      'agent authentication',
      () => (
        ingestOptions(o),
        o.authTokens === undefined ? `--auth ${o.auth}` : `--auth ${o.auth}, tokens ${o.authTokens}`
      ),
    ],
    [
      'TLS ingest',
      () => {
        if (o.tlsPort === undefined) return 'off (--tls-port not set)';
        secureContext(tlsOptions(o), '--tls-cert/--tls-key/--tls-client-ca');
        return `port ${o.tlsPort}, certificate ${o.tlsCert}`;
      },
    ],
    [
      'HTTP authentication',
      () =>
        httpAuth(o.httpBearerTokens, o.httpBasicAuth) === undefined
          ? 'off'
          : [o.httpBearerTokens, o.httpBasicAuth].filter(Boolean).join(', '),
    ],
    [
      'event log',
      () => {
        const path = eventsFilePath(o, false);
        if (path === undefined)
          return `in memory only (--events-file not set, no --spool-dir): at most ${o.eventsMax} events, lost on restart`;
        if (existsSync(path)) {
          if (statSync(path).isDirectory()) throw new ConfigError(`Invalid --events-file "${path}": it is a directory`);
          writable(path, '--events-file');
        }
        // Rewritten through a temporary file renamed over it: the directory must be writable too.
        if (o.eventsFile !== undefined) writableDirectory(dirname(path), '--events-file');
        return `${path}: at most ${o.eventsMax} events, ${o.eventsMaxAge} s`;
      },
    ],
    [
      'storage',
      () => {
        const db = databaseConfig(o);
        if (o.spoolDir !== undefined) writableDirectory(o.spoolDir, '--spool-dir');
        return `${db.api === 'none' ? 'no database' : `InfluxDB ${db.api} API at ${db.url}`}; spool ${o.spoolDir ?? 'in memory'}`;
      },
    ],
  ];
}

function exporterChecks(o: ExporterOptions): Check[] {
  return [
    [
      'credentials',
      () => {
        const { token, tls } = senderCredentials(o);
        if (tls !== undefined) secureContext(tls, '--tls-ca/--tls-cert/--tls-key');
        return `${token === undefined ? 'no token' : `token from ${o.tokenFile}`}; ${tls === undefined ? 'plain TCP' : 'TLS'}`;
      },
    ],
    ['process checks', () => checkExporterOptions(o).processes],
    ['textfile directory', () => checkExporterOptions(o).textfile],
  ];
}

function sensordChecks(o: SensordOptions): Check[] {
  return [
    ['option combinations', () => (checkSensordOptions(o), 'ok')],
    thresholdsCheck(o.thresholds),
    [
      'threshold writes',
      () => {
        if (o.thresholdWrites !== 'file' || o.thresholds === undefined)
          return `${o.thresholdWrites} (nothing is written)`;
        // Saved through a temporary file renamed over it: the directory must be writable too.
        writable(o.thresholds, '--thresholds');
        writableDirectory(dirname(o.thresholds), '--thresholds');
        return `saved into ${o.thresholds}`;
      },
    ],
  ];
}

function inventorySummary(path: string): string {
  const { nodes: inventory, maintenance } = readInventoryFile(path);
  const probes = [...inventory.values()].filter((e) => e.probe !== undefined).length;
  return `${path}: ${plural(inventory.size, 'node')}${probes === 0 ? '' : `, ${probes} probed (agentless)`}${maintenance.length === 0 ? '' : `, ${plural(maintenance.length, 'maintenance window')}`}`;
}

function thresholdsCheck(path: string | undefined): Check {
  return [
    'thresholds',
    () => {
      const c = loadThresholdsConfig(path);
      const count =
        Object.keys(c.defaults).length +
        [...Object.values(c.groups), ...Object.values(c.nodes)].reduce((n, t) => n + Object.keys(t).length, 0);
      return `${path ?? `${BUILTIN_THRESHOLDS_PATH} (built-in)`}: ${count} levels`;
    },
  ];
}

/** Certificates and keys parse and belong together (OpenSSL checks that the key matches the certificate). */
function secureContext(options: SecureContextOptions, flags: string): void {
  try {
    createSecureContext(options);
  } catch (error) {
    throw new ConfigError(`Invalid ${flags}: ${(error as Error).message}`);
  }
}

function writable(path: string, flag: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (error) {
    throw new ConfigError(`Invalid ${flag} "${path}": not writable (${(error as Error).message})`);
  }
}

/** An existing writable directory, or one that can be created (its nearest existing parent is writable). */
function writableDirectory(path: string, flag: string): void {
  let at = resolve(path);
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(at).isDirectory();
    } catch {
      const parent = dirname(at);
      if (parent === at) throw new ConfigError(`Invalid ${flag} "${path}": no existing parent directory`);
      at = parent;
      continue;
    }
    if (!isDirectory) throw new ConfigError(`Invalid ${flag} "${path}": ${at} is not a directory`);
    try {
      accessSync(at, constants.W_OK | constants.X_OK);
    } catch {
      throw new ConfigError(
        `Invalid ${flag} "${path}": ${at === resolve(path) ? 'the directory' : `its parent ${at}`} is not writable by this user`,
      );
    }
    return;
  }
}

const USAGE = `Usage: obsmon check-config <bridge|exporter|rts2-sensord> [options of that command]

Checks everything that command would load at start-up, without opening a socket: its options (flags,
OBSMON_* environment, --config file), the thresholds and inventory files, auth token and TLS files,
and the storage settings. Prints what it found; each problem goes to stderr as one line naming file,
line and problem. Exit status: 0 when the command would start, 2 when it would refuse to.
`;

/** `obsmon check-config <subcommand> [options]`: returns 0 (would start) or 2 (would not). */
export async function checkConfigCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const target = name === undefined ? undefined : SUBCOMMANDS.get(name);
  if (target === undefined) {
    process.stderr.write(`${name === undefined ? '' : `obsmon check-config: unknown command "${name}"\n`}${USAGE}`);
    return 2;
  }
  const prefix = `obsmon check-config ${name}`;
  let options: OptionValues<OptionSpecs>;
  try {
    const loaded = loadOptions(target.specs, target.argv?.(rest) ?? rest, env);
    if (loaded.help) {
      process.stdout.write(`${USAGE}\nThe options are those of "obsmon ${name} --help".\n`);
      return 0;
    }
    for (const warning of loaded.warnings) process.stderr.write(`${prefix}: warning: ${warning}\n`);
    options = loaded.values;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${prefix}: ${error.message}\n`);
    return 2;
  }
  const lines = ['ok    options (flags, OBSMON_* environment, --config file)'];
  let problems = 0;
  for (const [check, run] of target.checks(options)) {
    try {
      lines.push(`ok    ${check}: ${run()}`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems += 1;
      lines.push(`FAIL  ${check}`);
      process.stderr.write(`${prefix}: ${error.message}\n`);
    }
  }
  process.stdout.write(
    `${lines.join('\n')}\n${problems === 0 ? `${prefix}: the configuration is valid\n` : `${prefix}: ${problems} ${problems === 1 ? 'problem' : 'problems'}\n`}`,
  );
  return problems === 0 ? 0 : 2;
}

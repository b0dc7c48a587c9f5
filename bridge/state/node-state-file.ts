import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../config/config-error.ts';
import { writeFileAtomically } from '../../lib/atomic-file.ts';
import { NODE_PATTERN, QUALIFIER_PATTERN } from '../../protocol/keys.ts';
import { parseLine } from '../../protocol/line.ts';
import { LineSplitter } from '../../protocol/line-splitter.ts';
import { seriesId } from '../../protocol/series-id.ts';
import { parseAgent } from '../../protocol/session.ts';
import type { NodeState, NodeTable, SavedNode, SavedSeries } from './node-table.ts';

/*
 * The node table across restarts, as JSON lines: a header, one line per node that has reported, and
 * an end line with the node count. A file without its end line (cut short) or with any line that
 * does not validate is not the bridge's: it is ignored whole, never half applied.
 */
const FORMAT = 'obsmon-node-state';
const VERSION = 1;
/** Bytes of one saved series at most (key 32, qualifier 64, three numbers), with room to spare. */
const SERIES_BYTES = 256;
/** Lines written per write() call: the event loop gets a turn between chunks of a large table. */

/** File name of the default state file inside --spool-dir. */
export const DEFAULT_STATE_FILE_NAME = 'nodes.json';

/** `--state-file`, else `<spool-dir>/nodes.json`, else none (the table lives in memory only). */
export function stateFilePath(options: {
  readonly stateFile: string | undefined;
  readonly spoolDir: string | undefined;
}): string | undefined {
  if (options.stateFile !== undefined) {
    if (!existsSync(dirname(options.stateFile))) {
      throw new ConfigError(
        `Invalid --state-file ${options.stateFile}: its directory ${dirname(options.stateFile)} does not exist`,
      );
    }
    return options.stateFile;
  }
  if (options.spoolDir === undefined) return undefined;
  // Created as the disk spool creates it; without a database the spool itself never does.
  try {
    mkdirSync(options.spoolDir, { recursive: true });
  } catch (error) {
    throw new ConfigError(
      `Invalid --spool-dir ${options.spoolDir}: cannot create it for the node state file: ${(error as Error).message}`,
    );
  }
  return join(options.spoolDir, DEFAULT_STATE_FILE_NAME);
}

/** One node as a line of the file; undefined for a node that never reported (nothing to keep). */
export function encodeNode(node: NodeState): string | undefined {
  if (node.lastTimestamp === undefined || node.lastReceivedAt === undefined) return undefined;
  const series = [...node.series.values()].map((s) => [s.key, s.qualifier ?? null, s.value, s.timestamp, s.receivedAt]);
  return JSON.stringify({
    node: node.name,
    lastTimestamp: node.lastTimestamp,
    lastReceivedAt: node.lastReceivedAt,
    clockSkewSeconds: node.clockSkewSeconds,
    ...(node.agent === undefined ? {} : { agent: node.agent }),
    series,
  });
}

/**
 * Write the table atomically: a temporary file next to `path`, fsync'd, renamed over it, and the
 * directory fsync'd, so a crash at any point leaves either the old file or the new one. Resolves
 * with the number of nodes written.
 */
export async function saveNodeState(path: string, nodes: Iterable<NodeState>, nowMs: number): Promise<number> {
  let count = 0;
  function* lines(): Generator<string> {
    yield JSON.stringify({ format: FORMAT, version: VERSION, savedAt: nowMs });
    for (const node of nodes) {
      const line = encodeNode(node);
      if (line === undefined) continue;
      count += 1;
      yield line;
    }
    yield JSON.stringify({ end: true, nodes: count });
  }
  await writeFileAtomically(path, lines());
  return count;
}

export interface StateFileBounds {
  /** Nodes kept from the file at most (--max-nodes); further lines are validated, counted, not kept. */
  readonly maxNodes: number;
  /** Sizes one node line (--max-series-per-node): a longer line is not one the bridge wrote. */
  readonly maxSeriesPerNode: number;
}

export type ReadOutcome =
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly problem: string }
  | {
      readonly kind: 'ok';
      readonly savedAt: number;
      readonly nodes: readonly SavedNode[];
      readonly beyondMaxNodes: number;
    };

class Invalid extends Error {}

/** A key as one wire field: no blank, `@` or `=` (the parser then decides if it is a key). */
const FIELD = /^[^\s@=]{1,64}$/;

/**
 * Read and validate a state file. Its content is hostile input: names, keys, qualifiers and values
 * pass the wire protocol's own parser, numbers must be finite, nothing indexes a plain object, and
 * memory is bounded by `bounds` whatever the file holds. Times later than `nowMs` (a clock stepped
 * back, or a forged file) are taken as `nowMs`.
 */
export async function readNodeState(path: string, bounds: StateFileBounds, nowMs: number): Promise<ReadOutcome> {
  const maxLineBytes = 1024 + bounds.maxSeriesPerNode * SERIES_BYTES;
  const splitter = new LineSplitter(maxLineBytes);
  const nodes: SavedNode[] = [];
  const seen = new Set<string>();
  let beyondMaxNodes = 0;
  let savedAt: number | undefined;
  let ended = false;
  let lineNumber = 0;
  const sink = {
    line(text: string) {
      lineNumber += 1;
      if (ended) throw new Invalid(`line ${lineNumber}: data after the end line`);
      const value = parseJson(text, lineNumber);
      if (savedAt === undefined) {
        savedAt = header(value, nowMs);
        return;
      }
      if (isRecord(value) && value['end'] === true) {
        if (value['nodes'] !== seen.size)
          throw new Invalid(
            `line ${lineNumber}: the end line counts ${String(value['nodes'])} nodes, the file has ${seen.size}`,
          );
        ended = true;
        return;
      }
      const node = savedNode(value, lineNumber, nowMs);
      if (seen.has(node.name)) throw new Invalid(`line ${lineNumber}: node "${node.name}" a second time`);
      seen.add(node.name);
      if (nodes.length < bounds.maxNodes) nodes.push(node);
      else beyondMaxNodes += 1;
    },
    overlong() {
      throw new Invalid(`line ${lineNumber + 1} is longer than ${maxLineBytes} bytes`);
    },
  };
  try {
    for await (const chunk of createReadStream(path)) splitter.push(chunk as Buffer, sink);
    splitter.end(sink);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (error instanceof Invalid) return { kind: 'invalid', problem: error.message };
    return { kind: 'invalid', problem: `cannot read it: ${(error as Error).message}` };
  }
  if (savedAt === undefined) return { kind: 'invalid', problem: 'empty file' };
  if (!ended) return { kind: 'invalid', problem: 'no end line (cut short)' };
  return { kind: 'ok', savedAt, nodes, beyondMaxNodes };
}

function parseJson(text: string, lineNumber: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Invalid(`line ${lineNumber} is not JSON`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A positive finite number, at most `max`. */
function time(value: unknown, what: string, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new Invalid(`${what}: expected a positive number`);
  return Math.min(value, max);
}

function header(value: unknown, nowMs: number): number {
  if (!isRecord(value) || value['format'] !== FORMAT)
    throw new Invalid(`line 1: not an obsmon node state file (no "format": "${FORMAT}")`);
  if (value['version'] !== VERSION)
    throw new Invalid(`line 1: version ${String(value['version'])}, this bridge reads version ${VERSION}`);
  return time(value['savedAt'], 'line 1: savedAt', nowMs);
}

function savedNode(value: unknown, lineNumber: number, nowMs: number): SavedNode {
  const at = `line ${lineNumber}`;
  if (!isRecord(value) || typeof value['node'] !== 'string' || !Array.isArray(value['series']))
    throw new Invalid(`${at}: expected a node`);
  const lastTimestamp = time(value['lastTimestamp'], `${at}: lastTimestamp`, Infinity);
  const lastReceivedAt = time(value['lastReceivedAt'], `${at}: lastReceivedAt`, nowMs);
  const skew = value['clockSkewSeconds'];
  if (typeof skew !== 'number' || !Number.isFinite(skew))
    throw new Invalid(`${at}: clockSkewSeconds: expected a number`);
  // Optional (files written before it have none); checked as the AGENT line it came from.
  const savedAgent = value['agent'];
  const agent = typeof savedAgent === 'string' ? parseAgent(`AGENT ${savedAgent}`) : undefined;
  if (savedAgent !== undefined && agent === undefined) throw new Invalid(`${at}: agent: expected <name>/<version>`);
  const rows = value['series'] as unknown[];
  const times: Array<{ timestamp: number; receivedAt: number }> = [];
  const pairs: string[] = [];
  for (const row of rows) {
    if (!Array.isArray(row) || row.length !== 5)
      throw new Invalid(`${at}: a series is not [key, qualifier, value, timestamp, receivedAt]`);
    const [key, qualifier, v] = row as unknown[];
    if (typeof key !== 'string' || (qualifier !== null && typeof qualifier !== 'string') || typeof v !== 'number')
      throw new Invalid(`${at}: a series is not [key, qualifier, value, timestamp, receivedAt]`);
    // Field separators inside a field would make the line below say something else than the file.
    if (!FIELD.test(key) || (qualifier !== null && !QUALIFIER_PATTERN.test(qualifier)))
      throw new Invalid(`${at}: bad_key: "${key.slice(0, 40)}"`);
    pairs.push(`${seriesId(key, qualifier ?? undefined)}=${String(v)}`);
    times.push({
      timestamp: time(row[3], `${at}: series timestamp`, Infinity),
      receivedAt: time(row[4], `${at}: series receivedAt`, nowMs),
    });
  }
  if (!NODE_PATTERN.test(value['node'])) throw new Invalid(`${at}: bad_node: "${value['node'].slice(0, 70)}"`);
  // The same validation as a report on the wire: node name, keys, qualifiers, value ranges, duplicates.
  const parsed = parseLine(`${value['node']} ${String(lastTimestamp)} ${pairs.length === 0 ? 'x=0' : pairs.join(' ')}`);
  if (!parsed.ok) throw new Invalid(`${at}: ${parsed.reason}: ${parsed.detail}`);
  if (parsed.report.samples.length !== Math.max(1, pairs.length)) throw new Invalid(`${at}: malformed series`);
  const series: SavedSeries[] =
    pairs.length === 0
      ? []
      : parsed.report.samples.map((s, i) => ({ key: s.key, qualifier: s.qualifier, value: s.value, ...times[i]! }));
  return {
    name: parsed.report.node,
    lastTimestamp,
    lastReceivedAt,
    clockSkewSeconds: skew,
    series,
    ...(agent === undefined ? {} : { agent }),
  };
}

/** What a restore did, for the log and the counters. */
export interface RestoreSummary {
  readonly outcome: ReadOutcome['kind'];
  readonly restored: number;
  readonly dropped: ReadonlyMap<'unknown_node' | 'too_many_nodes' | 'too_many_series', number>;
}

/** Read `path` and put its nodes into the table; an invalid file changes nothing. */
export async function restoreNodeState(
  path: string,
  table: NodeTable,
  bounds: StateFileBounds,
  nowMs: number,
): Promise<RestoreSummary & { readonly read: ReadOutcome }> {
  const read = await readNodeState(path, bounds, nowMs);
  const dropped = new Map<'unknown_node' | 'too_many_nodes' | 'too_many_series', number>();
  const add = (reason: 'unknown_node' | 'too_many_nodes' | 'too_many_series', n: number) => {
    if (n > 0) dropped.set(reason, (dropped.get(reason) ?? 0) + n);
  };
  let restored = 0;
  if (read.kind === 'ok') {
    add('too_many_nodes', read.beyondMaxNodes);
    for (const node of read.nodes) {
      const outcome = table.restore(node);
      if (!outcome.ok) {
        add(outcome.reason, 1);
        continue;
      }
      restored += 1;
      add('too_many_series', outcome.droppedSeries);
    }
  }
  return { outcome: read.kind, restored, dropped, read };
}

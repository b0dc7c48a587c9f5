// The node exposition as it was before each node's constant text became one buffer (bridge/expose/node-exposition.ts):
// strings per line joined into chunks. Kept verbatim as the oracle the renderer is proven equal to, byte for byte
// (test/unit/bridge/expose/node-exposition-oracle.test.ts); not used by the bridge.
import { escapeLabelValue, metricOf, NODE_METRICS, seriesHead } from '../../protocol/metric-names.ts';
import { isUp, type NodeState, type NodeTable, type SeriesState } from '../../bridge/state/node-table.ts';
import type { MaintenanceLookup } from '../../bridge/state/node-view.ts';
import type { Thresholds } from '../../config/thresholds.ts';

export interface NodeExpositionOptions {
  readonly downAfterMs: number;
  /** Open maintenance windows: `obsmon_node_maintenance` 1 for a node in one (alert rules read it). */
  readonly maintenance?: MaintenanceLookup;
}

const header = (name: string, help: string) => `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`;

/** Value families in exposition order; a sample goes to the one of its metric (protocol/metric-names.ts). */
const VALUE_FAMILIES = NODE_METRICS.map((m) => header(m.name, m.help));
const FAMILY_INDEX = new Map(NODE_METRICS.map((m, i) => [m, i]));

/** One series and its `metric{labels} ` (constant for its life: key and qualifier never change). */
interface RenderedSeries {
  readonly series: SeriesState;
  readonly head: string;
}

/** What a node contributes to every scrape unchanged: label, info and threshold lines, its series by family. */
interface NodeCache {
  readonly thresholds: Thresholds;
  /** `thresholds.generation` when built: a reload changes the levels in place (Thresholds.replaceWith). */
  readonly generation: number;
  /** Series count when built: series are only ever added, so the key set changed iff this did. */
  readonly seriesCount: number;
  readonly up: readonly [string, string];
  readonly maintenance: readonly [string, string];
  readonly info: string;
  /** `node.agent` when built (the cache is rebuilt when it changes) and its info line, '' when unknown. */
  readonly agent: string | undefined;
  readonly agentInfo: string;
  readonly levels: string;
  /** The node's series per value family (index into VALUE_FAMILIES), in the order the node sent them. */
  readonly families: ReadonlyMap<number, RenderedSeries[]>;
  readonly last: string;
  readonly skew: string;
}

// Half the lines at 10 000 nodes are threshold levels that never change between scrapes: render them
// once per node, with every label set (WeakMap: it goes with the node). Value text is not kept: at a
// scrape interval equal to the report interval every value changed, and kept lines lived long enough
// to be promoted, so each scrape left old-generation garbage (seconds of mark-compact at 50 000 nodes).
const caches = new WeakMap<NodeState, NodeCache>();

function nodeCache(node: NodeState, thresholds: Thresholds, allMetrics: () => readonly string[]): NodeCache {
  const cached = caches.get(node);
  if (
    cached !== undefined &&
    cached.thresholds === thresholds &&
    cached.generation === thresholds.generation &&
    cached.seriesCount === node.series.size &&
    cached.agent === node.agent
  )
    return cached;
  const n = `node="${escapeLabelValue(node.name)}"`;
  // Thresholds of the metrics the node reports (all of them while it never reported), so a
  // node without a temperature sensor does not carry temperature levels.
  const keys = node.series.size === 0 ? allMetrics() : new Set([...node.series.values()].map((s) => s.key));
  let levels = '';
  for (const key of keys) {
    const l = thresholds.levels(node.name, node.group, key);
    if (l === undefined) continue;
    levels += `obsmon_threshold{${n},metric="${key}",severity="warning"} ${l.warning}\nobsmon_threshold{${n},metric="${key}",severity="error"} ${l.error}\n`;
  }
  const families = new Map<number, RenderedSeries[]>();
  for (const s of node.series.values()) {
    const family = FAMILY_INDEX.get(metricOf(s.key, s.qualifier))!;
    const previous = cached?.families.get(family)?.find((r) => r.series === s);
    const rendered = previous ?? { series: s, head: `${seriesHead(n, s.key, s.qualifier)} ` };
    const list = families.get(family);
    if (list === undefined) families.set(family, [rendered]);
    else list.push(rendered);
  }
  const built: NodeCache = {
    thresholds,
    generation: thresholds.generation,
    seriesCount: node.series.size,
    up: [`obsmon_node_up{${n}} 0\n`, `obsmon_node_up{${n}} 1\n`],
    maintenance: [`obsmon_node_maintenance{${n}} 0\n`, `obsmon_node_maintenance{${n}} 1\n`],
    info: `obsmon_node_info{${n},group="${escapeLabelValue(node.group)}",critical="${node.critical}",inventory="${node.inInventory}"} 1\n`,
    agent: node.agent,
    agentInfo:
      node.agent === undefined ? '' : `obsmon_node_agent_info{${n},agent="${escapeLabelValue(node.agent)}"} 1\n`,
    levels,
    families,
    last: `obsmon_node_last_report_timestamp_seconds{${n}} `,
    skew: `obsmon_node_clock_skew_seconds{${n}} `,
  };
  caches.set(node, built);
  return built;
}

/** Bytes of a chunk: large enough that writes are few, small enough to slice the work. */
const CHUNK_BYTES = 64 * 1024;
/** Nodes visited between two chances to pause, whether or not they produced text. */
const NODES_PER_CHECK = 512;

/**
 * Text written straight into fixed-size buffers: no string is joined or copied twice, and the
 * socket gets bytes (a 13 MB string would be flattened, then encoded again by `res.send`).
 */
class ChunkWriter {
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private visited = 0;
  /** Chunks filled since the last take(); a string too long for one chunk becomes its own. */
  private readonly full: Buffer[] = [];

  write(text: string): void {
    if (text.length * 3 > CHUNK_BYTES - this.used) {
      this.seal();
      if (text.length * 3 > CHUNK_BYTES) {
        this.full.push(Buffer.from(text));
        return;
      }
    }
    this.used += this.buffer.write(text, this.used);
  }

  /** After each node: whether to hand chunks on now (one is full, or a pause point is due). */
  ready(): boolean {
    return this.full.length > 0 || ++this.visited % NODES_PER_CHECK === 0;
  }

  /** The filled chunks (maybe none: then it is a pause point only). */
  take(): Buffer[] {
    return this.full.splice(0);
  }

  end(): Buffer[] {
    this.seal();
    return this.take();
  }

  private seal(): void {
    if (this.used === 0) return;
    this.full.push(this.buffer.subarray(0, this.used));
    this.buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }
}

/**
 * The per-node series in Prometheus text format, written straight from the live table, as chunks of
 * about 64 KB: a consumer may pause between two chunks (http.ts yields to the event loop), so a scrape
 * of 50 000 nodes never holds ingest for its whole length. prom-client gauges were measured here to need
 * seconds and hundreds of MB per scrape at 50 000 nodes (one object and one hashed label key per series,
 * rebuilt every scrape); this renderer keeps with each node what cannot change between scrapes (label
 * sets, info and threshold lines, its series sorted by family), and copies no text twice (bench/,
 * "Rendering the node series").
 *
 * The nodes are those of the table when the scrape began: one family at a time, each node at most once,
 * so the text stays valid while ingest changes values between chunks (a value may be newer in a later
 * family). Chunks may be short (every few hundred nodes, a pause point) or empty.
 *
 * Values of a down node, and series a node stopped sending, are left out: Prometheus marks them
 * stale and value alerts resolve, while `obsmon_node_up` says why. No agent timestamp is exposed
 * (Prometheus 2.42 would drop out-of-order samples and cannot track staleness of timestamped series).
 */
export function* oracleExpositionChunks(
  table: NodeTable,
  thresholds: Thresholds,
  nowMs: number,
  options: NodeExpositionOptions,
): Generator<Buffer[], void, undefined> {
  const nodes = [...table.nodes()];
  const count = table.size;
  let allMetrics: readonly string[] | undefined;
  const metrics = () => (allMetrics ??= thresholds.metrics());
  const out = new ChunkWriter();
  function* perNode(
    name: string,
    help: string,
    line: (node: NodeState, c: NodeCache, up: boolean) => string,
  ): Generator<Buffer[], void, undefined> {
    out.write(header(name, help));
    for (let i = 0; i < nodes.length; i += 1) {
      out.write(line(nodes[i]!, cache[i]!, up[i]!));
      if (out.ready()) yield out.take();
    }
  }

  const cache: NodeCache[] = [];
  const up: boolean[] = [];
  let series = 0;
  for (const node of nodes) {
    cache.push(nodeCache(node, thresholds, metrics));
    up.push(isUp(node, nowMs, options.downAfterMs));
    series += node.series.size;
    if (out.ready()) yield out.take();
  }

  yield* perNode('obsmon_node_up', '1 if the node reported within --down-after, else 0', (_, c, u) => c.up[u ? 1 : 0]);
  yield* perNode(
    'obsmon_node_maintenance',
    '1 while the node is in a maintenance window (its alerts are suppressed), else 0',
    (node, c) => c.maintenance[options.maintenance?.(node.name, node.group, nowMs) == null ? 0 : 1],
  );
  yield* perNode(
    'obsmon_node_last_report_timestamp_seconds',
    'Agent timestamp of the newest report, unix seconds',
    (node, c) => (node.lastTimestamp === undefined ? '' : `${c.last}${node.lastTimestamp}\n`),
  );
  yield* perNode(
    'obsmon_node_clock_skew_seconds',
    'Agent clock minus bridge clock at the newest report, seconds',
    (node, c) => (node.lastTimestamp === undefined ? '' : `${c.skew}${node.clockSkewSeconds}\n`),
  );
  yield* perNode('obsmon_node_info', 'Inventory facts of a node (always 1)', (_, c) => c.info);
  yield* perNode(
    'obsmon_node_agent_info',
    'Agent name/version the node last reported with (AGENT line; always 1, absent when it sent none)',
    (_, c) => c.agentInfo,
  );
  yield* perNode(
    'obsmon_threshold',
    'Warning/error level per node and metric (protocol key) the node reports, from the thresholds file',
    (_, c) => c.levels,
  );
  for (let f = 0; f < VALUE_FAMILIES.length; f += 1) {
    out.write(VALUE_FAMILIES[f]!);
    for (let i = 0; i < nodes.length; i += 1) {
      const list = up[i]! && nodes[i]!.lastTimestamp !== undefined ? cache[i]!.families.get(f) : undefined;
      if (list !== undefined)
        for (const r of list) {
          const s = r.series;
          if (nowMs - s.receivedAt > options.downAfterMs) continue;
          out.write(`${r.head}${s.value}\n`);
        }
      if (out.ready()) yield out.take();
    }
  }
  out.write(
    `# HELP obsmon_bridge_nodes Nodes in the live table (inventory and reporting)\n# TYPE obsmon_bridge_nodes gauge\nobsmon_bridge_nodes ${count}\n` +
      `# HELP obsmon_bridge_series Node series (key@qualifier) in the live table\n# TYPE obsmon_bridge_series gauge\nobsmon_bridge_series ${series}\n`,
  );
  yield out.end();
}

/** The whole node part of /metrics as one string, in one pass (tests, the bench; http.ts streams the chunks). */
export function oracleNodeExposition(
  table: NodeTable,
  thresholds: Thresholds,
  nowMs: number,
  options: NodeExpositionOptions,
): string {
  return Buffer.concat([...oracleExpositionChunks(table, thresholds, nowMs, options)].flat()).toString();
}

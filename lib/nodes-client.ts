import * as z from '../config/zod.ts';
import type { MetricView, NodeList, NodeView } from '../bridge/state/node-view-json.ts';
import { STATUSES } from '../protocol/status.ts';

/*
 * The schema of the wire type, whose one home is bridge/state/node-view-json.ts (the bridge builds it,
 * docs/api.md documents it; a type-only import, no runtime code): each schema's output must be the
 * type (`satisfies`), and name every one of its fields (`sameKeys`), so a field the bridge adds, even
 * an optional one, does not compile until it is here, rather than being stripped from peers' answers.
 */

const status = z.enum(STATUSES);

const metric = z.object({
  key: z.string(),
  qualifier: z.nullable(z.string()),
  value: z.number(),
  timestamp: z.number(),
  // Judged once by the bridge at ingest, at the levels it sends along (protocol/status.ts).
  status,
  warning: z.nullable(z.number()),
  error: z.nullable(z.number()),
}) satisfies z.ZodMiniType<MetricView>;

const node = z.object({
  node: z.string(),
  group: z.string(),
  critical: z.boolean(),
  inventory: z.boolean(),
  up: z.boolean(),
  status,
  lastReportTimestamp: z.nullable(z.number()),
  lastSeenSecondsAgo: z.nullable(z.number()),
  clockSkewSeconds: z.number(),
  metrics: z.readonly(z.array(metric)),
  // Absent from bridges older than maintenance windows.
  maintenance: z.exactOptional(z.nullable(z.object({ until: z.number(), reason: z.string() }))),
  // Absent from bridges older than the AGENT line (docs/protocol.md §9).
  agent: z.exactOptional(z.nullable(z.string().check(z.maxLength(64)))),
}) satisfies z.ZodMiniType<NodeView>;

// `downAfterSeconds` is absent from bridges older than it. The list is the caller's to keep.
const answer = z.object({
  downAfterSeconds: z.exactOptional(z.number().check(z.positive())),
  nodes: z.array(node),
}) satisfies z.ZodMiniType<Omit<NodeList, 'downAfterSeconds'> & Partial<Pick<NodeList, 'downAfterSeconds'>>>;

/** True when A and B have the same keys; used only as a compile-time check. */
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const sameKeys: [
  SameKeys<z.output<typeof metric>, MetricView>,
  SameKeys<z.output<typeof node>, NodeView>,
  SameKeys<z.output<typeof answer>, NodeList>,
] = [true, true, true];
void sameKeys;

/** A `NodeView` as `GET /api/v1/nodes` sends it (docs/api.md); unknown fields are dropped. */
export type NodeJson = NodeView;
export type MetricJson = MetricView;
/** `GET /api/v1/nodes` as any bridge answers it (a `NodeList`, `downAfterSeconds` optional). */
export type NodesAnswer = z.output<typeof answer>;

export interface FetchNodesOptions {
  readonly timeoutMs: number;
  /** `local`: the bridge's own nodes only, not those it shows for its peers. */
  readonly scope?: 'local';
  /** E.g. `authorization` for a bridge behind --http-bearer-tokens. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** `path` under the bridge URL, keeping a path prefix (`http://proxy/obsmon` + `api/v1/nodes`). */
export function bridgeUrl(base: string, path: string): URL {
  return new URL(path, base.endsWith('/') ? base : `${base}/`);
}

/**
 * `GET <bridge>/api/v1/nodes`, the one client of it (rts2-sensord, peer bridges). Throws an Error with
 * a one-line reason when the bridge cannot be reached, answers with an error status, or answers
 * something that is not the documented shape: nothing from another machine is used unchecked.
 */
export async function fetchNodes(baseUrl: string, options: FetchNodesOptions): Promise<NodesAnswer> {
  const path = options.scope === undefined ? 'api/v1/nodes' : `api/v1/nodes?scope=${options.scope}`;
  const res = await fetch(bridgeUrl(baseUrl, path), {
    headers: { ...options.headers },
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const parsed = answer.safeParse(await res.json());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`unexpected answer at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

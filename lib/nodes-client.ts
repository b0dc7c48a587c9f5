import { z } from 'zod';
import { STATUSES } from '../protocol/status.ts';

const status = z.enum(STATUSES);

const metric = z.object({
  key: z.string(),
  qualifier: z.string().nullable(),
  value: z.number(),
  timestamp: z.number(),
  // Judged once by the bridge at ingest, at the levels it sends along (protocol/status.ts).
  status,
  warning: z.number().nullable(),
  error: z.number().nullable(),
});

const node = z.object({
  node: z.string(),
  group: z.string(),
  critical: z.boolean(),
  inventory: z.boolean(),
  up: z.boolean(),
  status,
  lastReportTimestamp: z.number().nullable(),
  lastSeenSecondsAgo: z.number().nullable(),
  clockSkewSeconds: z.number(),
  metrics: z.array(metric),
  // Absent from bridges older than maintenance windows.
  maintenance: z.object({ until: z.number(), reason: z.string() }).nullable().exactOptional(),
  // Absent from bridges older than the AGENT line (docs/protocol.md §9).
  agent: z.string().max(64).nullable().exactOptional(),
});

const answer = z.object({ downAfterSeconds: z.number().positive().exactOptional(), nodes: z.array(node) });

/** A `NodeView` as `GET /api/v1/nodes` sends it (docs/api.md); unknown fields are dropped. */
export type NodeJson = z.infer<typeof node>;
export type MetricJson = z.infer<typeof metric>;
export type NodesAnswer = z.infer<typeof answer>;

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

import { z } from 'zod';
import { STATUSES } from '../../protocol/status.ts';

const metric = z.object({
  key: z.string(),
  qualifier: z.string().nullable(),
  value: z.number(),
  // Judged once by the bridge at ingest, at the levels it sends along (protocol/status.ts).
  status: z.enum(STATUSES),
  // Absent from bridges older than the carried levels; the device then judges with its own.
  warning: z.number().nullable().optional(),
  error: z.number().nullable().optional(),
});

const node = z.object({
  node: z.string(),
  group: z.string(),
  critical: z.boolean(),
  up: z.boolean(),
  lastSeenSecondsAgo: z.number().nullable(),
  metrics: z.array(metric),
  // Absent from bridges older than maintenance windows.
  maintenance: z.object({ until: z.number(), reason: z.string() }).nullable().optional(),
});

const answer = z.object({ downAfterSeconds: z.number().positive().optional(), nodes: z.array(node) });

/** The parts of a `NodeView` (docs/api.md) the device uses; unknown fields are ignored. */
export type BridgeNode = z.infer<typeof node>;
export type BridgeMetric = z.infer<typeof metric>;
export type NodesAnswer = z.infer<typeof answer>;

/** `path` under the bridge URL, keeping a path prefix (`http://proxy/obsmon` + `api/v1/nodes`). */
export function bridgeUrl(base: string, path: string): URL {
  return new URL(path, base.endsWith('/') ? base : `${base}/`);
}

/**
 * `GET <bridge>/api/v1/nodes`. Throws an Error with a one-line reason when the bridge cannot be
 * reached, answers with an error status, or answers something that is not the documented shape.
 */
export async function fetchNodes(baseUrl: string, timeoutMs: number): Promise<NodesAnswer> {
  const res = await fetch(bridgeUrl(baseUrl, 'api/v1/nodes'), { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const parsed = answer.safeParse(await res.json());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`unexpected answer at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

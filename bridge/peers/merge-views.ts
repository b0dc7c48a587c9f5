import type { NodeView } from '../state/node-view.ts';

/**
 * One view per node across bridges. During a failover the same node is on two bridges: the one
 * that has it up wins, then the newer report; ties keep the earlier source (local first).
 */
export function mergeNodeViews(sources: ReadonlyArray<readonly NodeView[]>): NodeView[] {
  const best = new Map<string, NodeView>();
  for (const views of sources) {
    for (const view of views) {
      const current = best.get(view.node);
      if (current === undefined || better(view, current)) best.set(view.node, view);
    }
  }
  return [...best.values()].sort((a, b) => a.node.localeCompare(b.node));
}

function better(candidate: NodeView, current: NodeView): boolean {
  if (candidate.up !== current.up) return candidate.up;
  return (candidate.lastReportTimestamp ?? -Infinity) > (current.lastReportTimestamp ?? -Infinity);
}

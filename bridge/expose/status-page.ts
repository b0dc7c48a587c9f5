import type { NodeView } from '../state/node-view.ts';
import { STATUS_COLOURS } from './palette.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Everything an agent sent is foreign text: escape it before it meets HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const BAR_KEYS = ['cpu', 'mem', 'disk'];

function bars(view: NodeView): string {
  return view.metrics
    .filter((m) => BAR_KEYS.includes(m.key))
    .map((m) => {
      const label = m.qualifier === null ? m.key : `${m.key} ${m.qualifier}`;
      const width = Math.max(0, Math.min(100, m.value));
      return `<div class="bar"><span>${escapeHtml(label)}</span><div class="track"><div class="fill" style="width:${width}%;background:${STATUS_COLOURS[m.status]}"></div></div><b>${m.value.toFixed(1)}%</b></div>`;
    })
    .join('');
}

function card(view: NodeView): string {
  const seen = view.lastSeenSecondsAgo === null ? 'never reported' : `last seen ${view.lastSeenSecondsAgo} s ago`;
  return `<section class="card ${view.status}" style="border-color:${STATUS_COLOURS[view.status]}"><h2>${escapeHtml(view.node)}</h2><p>${escapeHtml(view.group)} · ${view.status} · ${seen}</p>${bars(view)}</section>`;
}

/** A minimal server-rendered overview, refreshed every 10 s; enough for `obsmon demo`. */
export function renderStatusPage(views: readonly NodeView[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10"><title>obsmon</title>
<style>
body{font-family:system-ui,sans-serif;margin:1rem;background:#fafafa;color:#222}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.75rem}
.card{background:#fff;border-left:.4rem solid;padding:.5rem .75rem;border-radius:4px}
.card.stale{opacity:.55}.card h2{margin:0;font-size:1.05rem}.card p{margin:.2rem 0 .5rem;font-size:.8rem;color:#555}
.bar{display:grid;grid-template-columns:5.5rem 1fr 3.5rem;align-items:center;gap:.4rem;font-size:.8rem}
.track{background:#e5e5e5;height:.7rem;border-radius:2px}.fill{height:100%;border-radius:2px}
.bar b{text-align:right;font-weight:500}
</style></head>
<body><h1>obsmon · ${views.length} nodes</h1>
<p><a href="/metrics">/metrics</a> · <a href="/api/v1/nodes">/api/v1/nodes</a></p>
<main>${views.map(card).join('\n')}</main></body></html>
`;
}

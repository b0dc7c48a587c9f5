// The status page: an overview of every node, live through /api/v1/stream, and a page per node.
// Plain ES module, no framework, no build step; all agent-supplied text goes through textContent.
import { renderEventsPage } from './events.js';
import { renderNodePage } from './node-page.js';

const BAR_KEYS = ['cpu', 'mem', 'disk'];
const RANK = { ok: 0, stale: 1, warning: 2, error: 3 };

const state = {
  /** node name -> NodeView from /api/v1/nodes, patched by stream events */
  nodes: new Map(),
  downAfterSeconds: 60,
  filter: '',
  worstFirst: false,
};
// Exposed for browser tests and curious operators.
window.obsmon = state;

const view = document.getElementById('view');

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

/** `1 node`, `2 nodes`: the summary line reads as English at any count. */
function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function statusOf(metric) {
  if (metric.error !== null && metric.value >= metric.error) return 'error';
  if (metric.warning !== null && metric.value >= metric.warning) return 'warning';
  return 'ok';
}

function nodeStatus(node) {
  if (!node.up) return 'stale';
  return node.metrics.reduce((worst, m) => (RANK[m.status] > RANK[worst] ? m.status : worst), 'ok');
}

function bar(metric, stale) {
  const label = metric.qualifier === null ? metric.key : `${metric.key} ${metric.qualifier}`;
  const status = stale ? 'stale' : metric.status;
  const fill = el('div', { class: 'fill', dataset: { status } });
  fill.style.width = `${Math.max(0, Math.min(100, metric.value))}%`;
  return el(
    'div',
    { class: 'bar', dataset: { metric: label } },
    el('span', { class: 'label', text: label }),
    el('div', { class: 'track' }, fill),
    el('span', { class: 'value', text: `${metric.value.toFixed(1)}%` }),
  );
}

function lastSeen(node) {
  if (node.lastSeenAt === undefined) return 'never reported';
  const ago = Math.max(0, Math.round((Date.now() - node.lastSeenAt) / 1000));
  return `last seen ${ago} s ago`;
}

function card(node) {
  const status = nodeStatus(node);
  const link = el(
    'a',
    { class: 'card', href: `#/node/${encodeURIComponent(node.node)}`, dataset: { node: node.node, status } },
    el('h2', {}, el('span', { text: node.node }), el('small', { text: status })),
    el('p', { class: 'meta', text: `${node.group}${node.critical ? ' · critical' : ''} · ${lastSeen(node)}` }),
  );
  const bars = node.metrics.filter((m) => BAR_KEYS.includes(m.key));
  bars.sort((a, b) => BAR_KEYS.indexOf(a.key) - BAR_KEYS.indexOf(b.key));
  for (const m of bars) link.append(bar(m, status === 'stale'));
  return link;
}

function visibleNodes() {
  const needle = state.filter.toLowerCase();
  const nodes = [...state.nodes.values()].filter((n) => needle === '' || n.node.toLowerCase().includes(needle) || n.group.toLowerCase().includes(needle));
  if (state.worstFirst) nodes.sort((a, b) => RANK[nodeStatus(b)] - RANK[nodeStatus(a)] || a.node.localeCompare(b.node));
  else nodes.sort((a, b) => a.group.localeCompare(b.group) || a.node.localeCompare(b.node));
  return nodes;
}

function renderSummary() {
  const counts = { ok: 0, warning: 0, error: 0, stale: 0 };
  for (const n of state.nodes.values()) counts[nodeStatus(n)] += 1;
  document.getElementById('summary').textContent =
    `${plural(state.nodes.size, 'node')} · ${counts.error} error · ${counts.warning} warning · ${counts.stale} stale · ${counts.ok} ok`;
}

function renderOverview() {
  const grid = document.getElementById('grid');
  if (grid === null) return;
  grid.replaceChildren(...visibleNodes().map(card));
  renderSummary();
}

function showOverview() {
  const search = el('input', { type: 'search', placeholder: 'Filter by node or group', 'aria-label': 'filter' });
  search.value = state.filter;
  search.addEventListener('input', () => {
    state.filter = search.value;
    renderOverview();
  });
  const worst = el('input', { type: 'checkbox', id: 'worst-first' });
  worst.checked = state.worstFirst;
  worst.addEventListener('change', () => {
    state.worstFirst = worst.checked;
    renderOverview();
  });
  const legend = el('span', { class: 'legend' });
  for (const s of ['ok', 'warning', 'error', 'stale']) {
    const swatch = el('i');
    swatch.style.background = `var(--${s})`;
    legend.append(el('span', {}, swatch, s));
  }
  view.replaceChildren(
    el('div', { class: 'toolbar' }, search, el('label', {}, worst, ' worst first'), legend),
    el('div', { class: 'grid', id: 'grid' }),
  );
  renderOverview();
}

async function loadNodes() {
  const res = await fetch('api/v1/nodes');
  const body = await res.json();
  state.downAfterSeconds = body.downAfterSeconds ?? state.downAfterSeconds;
  state.nodes.clear();
  for (const n of body.nodes) {
    n.lastSeenAt = n.lastSeenSecondsAgo === null ? undefined : Date.now() - n.lastSeenSecondsAgo * 1000;
    state.nodes.set(n.node, n);
  }
}

async function refreshNode(name) {
  const res = await fetch(`api/v1/nodes/${encodeURIComponent(name)}`);
  if (!res.ok) return;
  const n = await res.json();
  n.lastSeenAt = n.lastSeenSecondsAgo === null ? undefined : Date.now() - n.lastSeenSecondsAgo * 1000;
  state.nodes.set(n.node, n);
}

function applyReport(report) {
  const node = state.nodes.get(report.node);
  if (node === undefined) return refreshNode(report.node).then(renderOverview);
  let unknown = false;
  for (const [id, value] of Object.entries(report.values)) {
    const at = id.indexOf('@');
    const key = at < 0 ? id : id.slice(0, at);
    const qualifier = at < 0 ? null : id.slice(at + 1);
    const metric = node.metrics.find((m) => m.key === key && m.qualifier === qualifier);
    if (metric === undefined) {
      unknown = true;
    } else if (report.timestamp >= metric.timestamp) {
      Object.assign(metric, { value, timestamp: report.timestamp });
      metric.status = statusOf(metric);
    }
  }
  node.up = true;
  node.lastSeenAt = Date.now();
  if (unknown) return refreshNode(report.node).then(renderOverview);
  return undefined;
}

function applyStatus(change) {
  const node = state.nodes.get(change.node);
  if (node !== undefined && change.kind === 'node') node.up = change.to === 'up';
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    if (document.getElementById('grid') !== null) renderOverview();
  });
}

function connectStream() {
  const dot = document.getElementById('connection');
  const source = new EventSource('api/v1/stream');
  source.onopen = () => dot.classList.add('live');
  source.onerror = () => {
    dot.classList.remove('live');
    // A refusal (503 past --stream-max-subscribers) closes an EventSource for good: try again later.
    if (source.readyState === EventSource.CLOSED) setTimeout(() => loadNodes().then(scheduleRender).finally(connectStream), 30_000);
  };
  source.addEventListener('report', (e) => {
    applyReport(JSON.parse(e.data));
    scheduleRender();
  });
  source.addEventListener('status', (e) => {
    applyStatus(JSON.parse(e.data));
    scheduleRender();
  });
  // The bridge restarted, or we were away (or read) too slowly and missed events: start again from a
  // full snapshot; the stream goes on live, so this never loops.
  source.addEventListener('reset', () => loadNodes().then(scheduleRender));
}

function route() {
  const match = /^#\/node\/(.+)$/.exec(location.hash);
  if (match) renderNodePage(view, decodeURIComponent(match[1]), state);
  else if (location.hash === '#/events') renderEventsPage(view);
  else showOverview();
}

// Stale detection needs no event: a node silent for downAfter greys out on its own.
setInterval(() => {
  const now = Date.now();
  for (const n of state.nodes.values()) {
    if (n.up && n.lastSeenAt !== undefined && now - n.lastSeenAt > state.downAfterSeconds * 1000) n.up = false;
  }
  scheduleRender();
}, 1000);

window.addEventListener('hashchange', route);
await loadNodes();
route();
connectStream();

// The status page: an overview of every node, live through /api/v1/stream, and a page per node.
// Plain ES module, no framework, no build step; all agent-supplied text goes through textContent.
import { renderEventsPage } from './events.js';
import { renderNodePage } from './node-page.js';
import { splitSeriesId } from './series-id.js';

// The JSON the page reads has its types on the bridge's side, in modules without runtime imports.
/** @typedef {import('../../protocol/status.ts').Status} Status */
/** @typedef {import('../state/node-view-json.ts').MetricView} MetricView */
/** @typedef {import('../state/node-view-json.ts').NodeView} NodeView */
/** @typedef {import('../state/node-view-json.ts').NodeList} NodeList */
/** @typedef {import('../expose/report-event.ts').ReportEvent} ReportEvent */
/** @typedef {import('../state/status-change.ts').StatusChange} StatusChange */
/**
 * @template T
 * @typedef {{ -readonly [K in keyof T]: T[K] }} Writable
 */
/**
 * A NodeView as the page holds it: patched in place by stream events, plus when the bridge was last
 * heard of it (`lastSeenAt`, page clock, ms; undefined: never) and a revision every patch bumps.
 * @typedef {Omit<Writable<NodeView>, 'metrics'> & {
 *   metrics: Writable<MetricView>[],
 *   lastSeenAt?: number,
 *   rev?: number,
 * }} LiveNode
 */
/**
 * A node's status, plus maintenance (ranked below ok) and a critical node that is down (above error).
 * @typedef {Status | 'maintenance' | 'critical-down'} Severity
 */

const BAR_KEYS = ['cpu', 'mem', 'disk'];
// The ranking of protocol/status.ts (test/unit/page/status-rank.test.ts holds them together): the page cannot import it.
/** @type {Record<Status, number>} */
const RANK = { ok: 0, stale: 1, warning: 2, error: 3 };
/*
 * Worst first: a critical node that is down above everything (nothing else tells the operator that
 * an instrument is gone), then errors, then other nodes that are down (we do not know how they are),
 * then warnings, then the healthy rest.
 */
// A node in a maintenance window ranks below ok: its errors are expected tonight (docs/operations.md).
/** @type {Record<Severity, number>} */
const SEVERITY = { maintenance: -1, ok: 0, warning: 1, stale: 2, error: 3, 'critical-down': 4 };

const byName = new Intl.Collator('en').compare;

const state = {
  /** node name -> NodeView from /api/v1/nodes, patched by stream events */
  /** @type {Map<string, LiveNode>} */
  nodes: new Map(),
  downAfterSeconds: 60,
  filter: '',
  /** How long the last overview render took, in ms (for operators and the 1000-node test). */
  renderMs: 0,
  /** Overview renders so far. */
  renders: 0,
  /** When the first render with nodes ended, ms since navigation (performance.now()). */
  /** @type {number | undefined} */
  firstShownMs: undefined,
};
/** @typedef {typeof state} PageState */
// Exposed for browser tests and curious operators.
window.obsmon = state;

const view = /** @type {HTMLElement} */ (document.getElementById('view'));

/**
 * An element with attributes (`dataset`: data-* values; `text`: its textContent) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{
 *   dataset?: Record<string, string>,
 *   text?: string,
 *   [attribute: string]: string | Record<string, string> | undefined,
 * }} [attrs]
 * @param {...(Node | string)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  const { dataset, text, ...attributes } = attrs;
  // Every value but `dataset`'s is text: the index signature only admits the record for that one.
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, /** @type {string} */ (v));
  if (dataset !== undefined) Object.assign(node.dataset, dataset);
  if (text !== undefined) node.textContent = text;
  for (const c of children) node.append(c);
  return node;
}

/**
 * `1 node`, `2 nodes`: the summary line reads as English at any count.
 * @param {number} count
 * @param {string} noun
 */
export function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Decimal byte rates, as an operator reads them: `976.6 kB/s`, never binary.
 * @param {number} bytesPerSecond
 */
export function formatRate(bytesPerSecond) {
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'];
  let v = bytesPerSecond;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/**
 * @param {LiveNode} node
 * @returns {Status}
 */
function nodeStatus(node) {
  return worstOf(node.metrics, !node.up);
}

/**
 * The status plus the one state worse than error: a critical node that is down.
 * @param {LiveNode} node
 * @returns {Severity}
 */
function severityOf(node) {
  if (node.maintenance) return 'maintenance';
  const status = nodeStatus(node);
  return status === 'stale' && node.critical ? 'critical-down' : status;
}

/**
 * @param {MetricView} metric
 * @param {boolean} stale
 */
function bar(metric, stale) {
  const label = metric.qualifier === null ? metric.key : `${metric.key} ${metric.qualifier}`;
  const status = stale ? 'stale' : metric.status;
  const fill = el('div', { class: 'fill', dataset: { status } });
  fill.style.width = `${Math.max(0, Math.min(100, metric.value))}%`;
  return el(
    'div',
    { class: 'bar', dataset: { metric: label } },
    el('span', { class: 'label', text: label }),
    el('span', { class: 'value', text: `${metric.value.toFixed(1)}%` }),
    el('div', { class: 'track' }, fill),
  );
}

/** @param {LiveNode} node */
function lastSeen(node) {
  if (node.lastSeenAt === undefined) return 'never reported';
  const ago = Math.max(0, Math.round((Date.now() - node.lastSeenAt) / 1000));
  return `last seen ${ago} s ago`;
}

/**
 * The group is in the section heading, except in the critical-down strip at the top.
 * @param {LiveNode} node
 * @param {Severity} severity
 */
function metaText(node, severity) {
  if (severity === 'maintenance' && node.maintenance) {
    const until = new Date(node.maintenance.until * 1000).toISOString().slice(0, 16).replace('T', ' ');
    return [`maintenance until ${until} UTC`, node.maintenance.reason, lastSeen(node)].filter(Boolean).join(' · ');
  }
  const parts = severity === 'critical-down' ? [node.group, 'critical'] : node.critical ? ['critical'] : [];
  return [...parts, lastSeen(node)].join(' · ');
}

/**
 * The worst of several metrics (a qualified temp@ccd over its threshold colours the reading).
 * @param {ReadonlyArray<{ status: Status }>} metrics
 * @param {boolean} stale
 * @returns {Status}
 */
function worstOf(metrics, stale) {
  if (stale) return 'stale';
  return metrics.reduce(/** @returns {Status} */ (w, m) => (RANK[m.status] > RANK[w] ? m.status : w), 'ok');
}

/**
 * What the node reports besides the bars: temperature (the unqualified, hottest reading, else the
 * hottest sensor), load, and network (the unqualified totals, else the sum over interfaces).
 * Each as [name, text, status].
 * @param {LiveNode} node
 * @param {boolean} stale
 */
function readings(node, stale) {
  /** @type {Array<[name: string, text: string, status: Status]>} */
  const out = [];
  /** @param {string} key */
  const of = (key) => node.metrics.filter((m) => m.key === key);
  /** @param {MetricView[]} list */
  const pick = (list) => list.find((m) => m.qualifier === null);
  const temps = of('temp');
  if (temps.length > 0) {
    const t = pick(temps) ?? temps.reduce((a, b) => (b.value > a.value ? b : a));
    out.push(['temp', `${t.value.toFixed(1)} °C`, worstOf(temps, stale)]);
  }
  const load = pick(of('load1')) ?? of('load1')[0];
  if (load !== undefined) out.push(['load', `load ${load.value.toFixed(2)}`, worstOf([load], stale)]);
  /** @param {string} key */
  const rate = (key) => {
    const list = of(key);
    if (list.length === 0) return undefined;
    const total = pick(list);
    return { value: total?.value ?? list.reduce((sum, m) => sum + m.value, 0), status: worstOf(list, stale) };
  };
  const rx = rate('rx');
  const tx = rate('tx');
  if (rx !== undefined || tx !== undefined) {
    const text = [rx && `↓ ${formatRate(rx.value)}`, tx && `↑ ${formatRate(tx.value)}`].filter(Boolean).join(' ');
    const known = [rx, tx].filter((r) => r !== undefined);
    out.push(['net', text, worstOf(known, stale)]);
  }
  return out;
}

/**
 * Everything a card shows except its last-seen time: a card is rebuilt only when this changes.
 * @param {LiveNode} node
 * @param {Severity} severity
 */
function signature(node, severity) {
  /** @type {unknown[]} */
  const parts = [severity, node.group, node.critical, node.maintenance?.until, node.maintenance?.reason];
  for (const m of node.metrics) parts.push(m.key, m.qualifier, m.value, m.status);
  return JSON.stringify(parts);
}

/**
 * @param {LiveNode} node
 * @param {Severity} severity
 */
function card(node, severity) {
  const status = nodeStatus(node);
  const down = status === 'stale';
  const badge =
    severity === 'maintenance' ? 'maintenance' : severity === 'critical-down' ? 'DOWN' : down ? 'down' : status;
  const meta = el('p', { class: 'meta', text: metaText(node, severity) });
  const link = el(
    'a',
    { class: 'card', href: `#/node/${encodeURIComponent(node.node)}`, dataset: { node: node.node, status, severity } },
    el(
      'h2',
      {},
      el('span', { class: 'name', text: node.node, title: node.node }),
      el('small', { class: 'badge', text: badge }),
    ),
    meta,
  );
  const bars = node.metrics.filter((m) => BAR_KEYS.includes(m.key));
  bars.sort((a, b) => BAR_KEYS.indexOf(a.key) - BAR_KEYS.indexOf(b.key));
  if (bars.length > 0) link.append(el('div', { class: 'bars' }, ...bars.map((m) => bar(m, down))));
  const values = readings(node, down);
  if (values.length > 0) {
    const line = el('p', { class: 'readout' });
    for (const [name, text, s] of values) line.append(el('span', { dataset: { reading: name, status: s }, text }));
    link.append(line);
  }
  return { el: link, meta };
}

/**
 * A card as last built, and what it was built from.
 * @typedef {{
 *   el: HTMLElement,
 *   meta: HTMLElement,
 *   sig: string,
 *   node: LiveNode,
 *   rev: number | undefined,
 *   severity: Severity,
 * }} CardEntry
 */
/** @typedef {{ section: HTMLElement, head: HTMLElement, cells: HTMLElement, title: string | undefined }} Section */
/** node name -> { el, meta, sig }: keyed updates, so 1000 cards are not rebuilt every second. */
/** @type {Map<string, CardEntry>} */
const cards = new Map();
/** group name -> { section, head, cells } */
/** @type {Map<string, Section>} */
const sections = new Map();

/**
 * @param {LiveNode} node
 * @param {Severity} severity
 */
function cardFor(node, severity) {
  const entry = cards.get(node.node);
  // Unchanged since the last render (same object, no event touched it): no signature to compute.
  const same = entry !== undefined && entry.node === node && entry.rev === node.rev && entry.severity === severity;
  const sig = same ? entry.sig : signature(node, severity);
  if (entry !== undefined) Object.assign(entry, { node, rev: node.rev, severity });
  if (entry === undefined || entry.sig !== sig) {
    const fresh = { ...card(node, severity), sig, node, rev: node.rev, severity };
    if (entry !== undefined && entry.el.parentNode !== null) entry.el.replaceWith(fresh.el);
    cards.set(node.node, fresh);
    return fresh.el;
  }
  const text = metaText(node, severity);
  if (entry.meta.textContent !== text) entry.meta.textContent = text;
  return entry.el;
}

/**
 * Children in this order, touching the DOM only when the order differs.
 * @param {Element} parent
 * @param {Element[]} wanted
 */
function setChildren(parent, wanted) {
  const have = parent.children;
  if (have.length === wanted.length && wanted.every((w, i) => have[i] === w)) return;
  parent.replaceChildren(...wanted);
}

const CRITICAL_DOWN = '\u0000critical-down';

/**
 * @param {string} key
 * @param {string} [title]
 */
function sectionFor(key, title) {
  let s = sections.get(key);
  if (s === undefined) {
    const head = el('h2', { class: 'group-head' });
    const cells = el('div', { class: 'cells' });
    const section = el(
      'section',
      {
        class: key === CRITICAL_DOWN ? 'group critical-down' : 'group',
        dataset: { group: key === CRITICAL_DOWN ? '' : key },
      },
      head,
      cells,
    );
    if (key === CRITICAL_DOWN) section.id = 'critical-down';
    s = { section, head, cells, title };
    sections.set(key, s);
  }
  return s;
}

/** @typedef {[node: LiveNode, severity: Severity]} Ranked */
/** @param {Ranked[]} list */
function countsText(list) {
  /** @type {Record<Severity, number>} */
  const counts = { maintenance: 0, 'critical-down': 0, error: 0, stale: 0, warning: 0, ok: 0 };
  for (const [, severity] of list) counts[severity] += 1;
  const parts = [];
  if (counts['critical-down'] > 0) parts.push(`${counts['critical-down']} critical down`);
  if (counts.error > 0) parts.push(plural(counts.error, 'error'));
  if (counts.stale > 0) parts.push(`${counts.stale} down`);
  if (counts.warning > 0) parts.push(plural(counts.warning, 'warning'));
  if (counts.ok > 0) parts.push(`${counts.ok} ok`);
  return parts;
}

/**
 * @param {Ranked} a
 * @param {Ranked} b
 */
function byWorst([a, sa], [b, sb]) {
  return SEVERITY[sb] - SEVERITY[sa] || byName(a.node, b.node);
}

/** @param {Ranked[]} all */
function renderSummary(all) {
  /** @type {Record<Severity, number>} */
  const counts = { maintenance: 0, 'critical-down': 0, error: 0, stale: 0, warning: 0, ok: 0 };
  for (const [, severity] of all) counts[severity] += 1;
  const down = counts.stale + counts['critical-down'];
  const text = [
    plural(state.nodes.size, 'node'),
    `${counts['critical-down']} critical down`,
    `${down} down`,
    plural(counts.error, 'error'),
    plural(counts.warning, 'warning'),
    `${counts.ok} ok`,
  ].join(' · ');
  const summary = /** @type {HTMLElement} */ (document.getElementById('summary'));
  if (summary.textContent !== text) summary.textContent = text;
  summary.dataset.criticalDown = String(counts['critical-down']);
}

function renderOverview() {
  const grid = document.getElementById('grid');
  if (grid === null) return;
  const started = performance.now();
  const all = [...state.nodes.values()].map(/** @returns {Ranked} */ (n) => [n, severityOf(n)]);
  const needle = state.filter.toLowerCase();
  const shown = all.filter(
    ([n]) => needle === '' || n.node.toLowerCase().includes(needle) || n.group.toLowerCase().includes(needle),
  );
  // Critical nodes that are down leave their group for the top of the page; the rest by group.
  /** @type {Map<string, Ranked[]>} */
  const buckets = new Map();
  for (const entry of shown) {
    const key = entry[1] === 'critical-down' ? CRITICAL_DOWN : entry[0].group;
    let list = buckets.get(key);
    if (list === undefined) buckets.set(key, (list = []));
    list.push(entry);
  }
  const groups = [...buckets.entries()].map(([key, list]) => {
    list.sort(byWorst);
    return { key, list, worst: SEVERITY[list[0][1]] };
  });
  groups.sort(
    (a, b) => b.worst - a.worst || (a.key === CRITICAL_DOWN ? -1 : b.key === CRITICAL_DOWN ? 1 : byName(a.key, b.key)),
  );
  /** @type {HTMLElement[]} */
  const wanted = [];
  for (const g of groups) {
    const s = sectionFor(g.key);
    const title =
      g.key === CRITICAL_DOWN
        ? `DOWN: ${plural(g.list.length, 'critical node')}`
        : `${g.key} · ${[plural(g.list.length, 'node'), ...countsText(g.list)].join(' · ')}`;
    if (s.head.textContent !== title) s.head.textContent = title;
    s.section.dataset.worst = g.list[0][1];
    setChildren(
      s.cells,
      g.list.map(([n, severity]) => cardFor(n, severity)),
    );
    wanted.push(s.section);
  }
  setChildren(grid, wanted);
  if (shown.length === 0 && state.nodes.size === 0)
    grid.replaceChildren(el('p', { class: 'empty', text: 'no nodes yet: start an agent or add an inventory' }));
  for (const name of cards.keys()) if (!state.nodes.has(name)) cards.delete(name);
  for (const key of sections.keys()) if (!buckets.has(key)) sections.delete(key);
  renderSummary(all);
  state.renderMs = performance.now() - started;
  state.renders += 1;
  if (state.firstShownMs === undefined && state.nodes.size > 0) state.firstShownMs = performance.now();
}

function showOverview() {
  const search = el('input', { type: 'search', placeholder: 'Filter by node or group', 'aria-label': 'filter' });
  search.value = state.filter;
  search.addEventListener('input', () => {
    state.filter = search.value;
    renderOverview();
  });
  const legend = el('span', { class: 'legend' });
  for (const [s, label] of [
    ['ok', 'ok'],
    ['warning', 'warning'],
    ['error', 'error'],
    ['stale', 'down'],
    ['error', 'critical DOWN'],
  ]) {
    const swatch = el('i');
    swatch.style.background = `var(--${s})`;
    legend.append(el('span', {}, swatch, label));
  }
  view.replaceChildren(
    el('div', { class: 'toolbar' }, search, el('span', { class: 'order', text: 'by group, worst first' }), legend),
    el('div', { class: 'groups', id: 'grid' }),
  );
  renderOverview();
}

async function loadNodes() {
  const res = await fetch('api/v1/nodes');
  /** @type {Omit<NodeList, 'nodes'> & { nodes: LiveNode[] }} */
  const body = await res.json();
  state.downAfterSeconds = body.downAfterSeconds ?? state.downAfterSeconds;
  state.nodes.clear();
  for (const n of body.nodes) {
    n.lastSeenAt = n.lastSeenSecondsAgo === null ? undefined : Date.now() - n.lastSeenSecondsAgo * 1000;
    state.nodes.set(n.node, n);
  }
}

/** @param {string} name */
async function refreshNode(name) {
  const res = await fetch(`api/v1/nodes/${encodeURIComponent(name)}`);
  if (!res.ok) return;
  /** @type {LiveNode} */
  const n = await res.json();
  n.lastSeenAt = n.lastSeenSecondsAgo === null ? undefined : Date.now() - n.lastSeenSecondsAgo * 1000;
  state.nodes.set(n.node, n);
}

/** @param {ReportEvent} report */
function applyReport(report) {
  const node = state.nodes.get(report.node);
  if (node === undefined) return refreshNode(report.node).then(renderOverview);
  let unknown = false;
  // The bridge judged every value once at ingest and lists the ones not ok: nothing is judged here.
  const flagged = new Map(Object.entries(report.status ?? {}));
  for (const [id, value] of Object.entries(report.values)) {
    const { key, qualifier } = splitSeriesId(id);
    const metric = node.metrics.find((m) => m.key === key && m.qualifier === qualifier);
    if (metric === undefined) {
      unknown = true;
    } else if (report.timestamp >= metric.timestamp) {
      Object.assign(metric, { value, timestamp: report.timestamp, status: flagged.get(id) ?? 'ok' });
    }
  }
  node.rev = (node.rev ?? 0) + 1;
  node.up = true;
  node.lastSeenAt = Date.now();
  if (node.lastReportTimestamp === null || report.timestamp > node.lastReportTimestamp)
    node.lastReportTimestamp = report.timestamp;
  if (unknown) return refreshNode(report.node).then(renderOverview);
  return undefined;
}

/** @param {StatusChange} change */
function applyStatus(change) {
  const node = state.nodes.get(change.node);
  if (node !== undefined && change.kind === 'node') {
    node.up = change.to === 'up';
    node.rev = (node.rev ?? 0) + 1;
  }
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
  const dot = /** @type {HTMLElement} */ (document.getElementById('connection'));
  const source = new EventSource('api/v1/stream');
  source.onopen = () => dot.classList.add('live');
  source.onerror = () => {
    dot.classList.remove('live');
    // A refusal (503 past --stream-max-subscribers) closes an EventSource for good: try again later.
    if (source.readyState === EventSource.CLOSED)
      setTimeout(() => loadNodes().then(scheduleRender).finally(connectStream), 30_000);
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
    if (n.up && n.lastSeenAt !== undefined && now - n.lastSeenAt > state.downAfterSeconds * 1000) {
      n.up = false;
      n.rev = (n.rev ?? 0) + 1;
    }
  }
  scheduleRender();
}, 1000);

window.addEventListener('hashchange', route);
await loadNodes();
route();
connectStream();

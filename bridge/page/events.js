// The event log: every status change the bridge recorded (GET /api/v1/events), newest first, as a
// page of its own (#/events) and as a node page's "Recent events". All text goes through textContent.
import { el } from './app.js';

/** @typedef {import('../state/history-event.ts').HistoryEvent} HistoryEvent */
/** @typedef {import('../state/history-event.ts').EventPage} EventPage */

const PAGE_SIZE = 50;
const REFRESH_MS = 5000;
/** Severity → palette colour of the status page (style.css). */
const COLOUR = new Map([
  ['error', 'var(--error)'],
  ['warning', 'var(--warning)'],
  ['info', 'var(--ok)'],
]);

/**
 * One page of `GET /api/v1/events` with these filters (empty and undefined ones left out); no events
 * when the bridge refuses.
 * @param {Record<string, string | number | undefined>} params
 * @returns {Promise<EventPage>}
 */
export async function fetchEvents(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const res = await fetch(`api/v1/events?${q}`);
  if (!res.ok) return { events: [], nextBefore: null };
  return res.json();
}

/** @param {HistoryEvent} e */
function what(e) {
  if (e.kind === 'threshold') return e.metric;
  if (e.kind === 'node') return 'node';
  if (e.kind === 'maintenance') return 'maintenance';
  return e.component;
}

/** @param {HistoryEvent} e */
function detail(e) {
  if (e.message !== null) return e.message;
  if (e.value !== null) return String(e.value);
  return '';
}

/**
 * A table of events; `showNode` false on a node's own page.
 * @param {readonly HistoryEvent[]} events
 * @param {{ showNode?: boolean }} [options]
 */
export function eventsTable(events, { showNode = true } = {}) {
  const heads = ['time', 'severity', ...(showNode ? ['node', 'group'] : []), 'what', 'change', 'value / detail'];
  const head = el('tr', {}, ...heads.map((h) => el('th', { text: h })));
  const rows = events.map((e) => {
    const severity = el('td', { text: e.severity });
    severity.style.color = COLOUR.get(e.severity) ?? '';
    severity.style.fontWeight = e.severity === 'info' ? '' : '600';
    const node =
      e.node === null
        ? el('td', { text: '—' })
        : el('td', {}, el('a', { href: `#/node/${encodeURIComponent(e.node)}`, text: e.node }));
    return el(
      'tr',
      { dataset: { eventId: String(e.id), kind: e.kind, severity: e.severity, node: e.node ?? '', to: e.to } },
      el('td', { text: new Date(e.time * 1000).toLocaleString() }),
      severity,
      ...(showNode ? [node, el('td', { text: e.group ?? '—' })] : []),
      el('td', { text: what(e) ?? '' }),
      el('td', { text: `${e.from} → ${e.to}` }),
      el('td', { text: detail(e) }),
    );
  });
  // Styled here rather than in style.css: the readings table's look, left-aligned (words, not numbers).
  const table = el('table', { class: 'events' }, el('thead', {}, head), el('tbody', {}, ...rows));
  Object.assign(table.style, { borderCollapse: 'collapse', background: 'var(--card)' });
  for (const cell of /** @type {NodeListOf<HTMLTableCellElement>} */ (table.querySelectorAll('th, td')))
    Object.assign(cell.style, { padding: '.25rem .7rem', borderBottom: '1px solid #e6e9ec', textAlign: 'left' });
  return table;
}

/**
 * @param {string} label
 * @param {Array<[value: string, text: string]>} options
 * @param {string} value the one selected
 */
function select(label, options, value) {
  const s = el('select', { 'aria-label': label });
  for (const [v, text] of options) {
    const o = el('option', { value: v, text });
    if (v === value) o.selected = true;
    s.append(o);
  }
  return s;
}

const filters = { node: '', kind: '', severity: '' };

/**
 * `#/events`: the whole log with filters, paged by id, refreshed while shown.
 * @param {HTMLElement} view
 */
export function renderEventsPage(view) {
  const node = el('input', { type: 'search', placeholder: 'Node', 'aria-label': 'node' });
  node.value = filters.node;
  const kind = select(
    'kind',
    [
      ['', 'all kinds'],
      ['threshold', 'thresholds'],
      ['node', 'nodes down/up'],
      ['bridge', 'bridge'],
      ['maintenance', 'maintenance'],
    ],
    filters.kind,
  );
  const severity = select(
    'severity',
    [
      ['', 'all severities'],
      ['error', 'error'],
      ['warning', 'warning'],
      ['info', 'info'],
    ],
    filters.severity,
  );
  const list = el('div', { id: 'events' });
  const older = el('button', { type: 'button', text: 'Older events' });
  older.hidden = true;
  view.replaceChildren(
    el('div', { class: 'node-head' }, el('h1', { text: 'Events' }), el('a', { href: '#/', text: '← all nodes' })),
    el('div', { class: 'toolbar' }, node, kind, severity),
    list,
    older,
  );

  /** @type {readonly HistoryEvent[]} */
  let shown = [];
  /** @type {number | null} */
  let nextBefore = null;
  /** @param {{ before?: number, after?: number }} extra */
  const query = (extra) =>
    fetchEvents({
      node: filters.node.trim(),
      kind: filters.kind,
      severity: filters.severity,
      limit: PAGE_SIZE,
      ...extra,
    });
  const draw = () => {
    list.replaceChildren(shown.length === 0 ? el('p', { class: 'empty', text: 'no events' }) : eventsTable(shown));
    older.hidden = nextBefore === null;
  };
  const reload = async () => {
    const page = await query({});
    shown = page.events;
    nextBefore = page.nextBefore;
    draw();
  };
  const change = () => {
    filters.node = node.value;
    filters.kind = kind.value;
    filters.severity = severity.value;
    void reload();
  };
  node.addEventListener('input', change);
  kind.addEventListener('change', change);
  severity.addEventListener('change', change);
  older.addEventListener('click', async () => {
    if (nextBefore === null) return;
    const page = await query({ before: nextBefore });
    shown = [...shown, ...page.events];
    nextBefore = page.nextBefore;
    draw();
  });

  void reload();
  // New events arrive on top while the page is shown; the loop ends when the view changes.
  const refresh = async () => {
    if (!list.isConnected) return;
    const newest = shown[0]?.id;
    if (newest !== undefined) {
      const page = await query({ after: newest });
      if (page.events.length === PAGE_SIZE) await reload();
      else if (page.events.length > 0) {
        shown = [...page.events, ...shown];
        draw();
      }
    } else {
      await reload();
    }
    setTimeout(refresh, REFRESH_MS);
  };
  setTimeout(refresh, REFRESH_MS);
}

/**
 * A node page's "Recent events": the last few of this node.
 * @param {HTMLElement} container
 * @param {string} name
 */
export async function renderNodeEvents(container, name) {
  const page = await fetchEvents({ node: name, limit: 10 });
  container.replaceChildren(
    page.events.length === 0
      ? el('p', { class: 'empty', text: 'no events recorded for this node' })
      : eventsTable(page.events, { showNode: false }),
  );
}

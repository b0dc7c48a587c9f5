// One node: history charts with dashed warning/error lines (the LAMOST web page) and a table of the
// latest readings. Data from /api/v1/nodes/:node/history; charts drawn with uPlot.
import { el, formatRate } from './app.js';
import { renderNodeEvents } from './events.js';
import { seriesId } from './series-id.js';

/** @typedef {import('../store/history.ts').HistoryAnswer} HistoryAnswer */
/** @typedef {import('../store/history.ts').HistoryPoint} HistoryPoint */
/** @typedef {import('./app.js').PageState} PageState */
/** @typedef {import('uplot')} UPlot */
/**
 * A point of a history, or (made by `align`) a break in the line: `null` where a silence starts.
 * @typedef {readonly [time: number, value: number | null]} ChartPoint
 */
/**
 * `align`'s columns: the times, then each list's value at each time (uPlot's AlignedData).
 * @typedef {[times: number[], ...values: Array<Array<number | null | undefined>>]} Aligned
 */

/** @type {Array<[label: string, seconds: number]>} */
const RANGES = [
  ['15 min', 900],
  ['1 h', 3600],
  ['6 h', 21600],
  ['24 h', 86400],
];
const COLOURS = ['#E69F00', '#56B4E9', '#CC79A7', '#F0E442', '#000000'];
/** A silence longer than this many report intervals is an outage: the line breaks there. */
export const GAP_FACTOR = 2.5;
/** @param {string} name */
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
let rangeSeconds = 3600;
/** Renders started; a render overtaken by a newer one (another range picked) stops after its fetches. */
let generation = 0;

/**
 * @param {string} node
 * @param {string} metric series id
 * @param {number} from
 * @param {number} to
 * @returns {Promise<readonly HistoryPoint[]>}
 */
async function history(node, metric, from, to) {
  const q = new URLSearchParams({ metric, from: String(from), to: String(to) });
  const res = await fetch(`api/v1/nodes/${encodeURIComponent(node)}/history?${q}`);
  if (!res.ok) return [];
  /** @type {HistoryAnswer} */
  const answer = await res.json();
  return answer.points ?? [];
}

/** @param {number[]} values */
function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The node's report interval, as the median spacing of its readings; undefined below 3 readings.
 * @param {ReadonlyArray<readonly ChartPoint[]>} lists
 */
export function reportInterval(lists) {
  /** @type {number[]} */
  const spacings = [];
  for (const l of lists) for (let i = 1; i < l.length; i += 1) spacings.push(l[i][0] - l[i - 1][0]);
  return median(spacings.filter((s) => s > 0));
}

/**
 * Align several [[t, v]] lists on the union of their timestamps, as uPlot wants. A timestamp a list
 * lacks is `undefined` (uPlot draws across it: the series simply reported at other moments); a
 * silence longer than `gapSeconds` gets a `null` just after its start, which uPlot (spanGaps off)
 * draws as a break, so an outage is visible.
 * @param {ReadonlyArray<readonly ChartPoint[]>} lists
 * @param {number} [gapSeconds]
 * @returns {Aligned}
 */
function align(lists, gapSeconds) {
  const marked = lists.map((l) => {
    if (gapSeconds === undefined) return l;
    /** @type {ChartPoint[]} */
    const out = [];
    for (let i = 0; i < l.length; i += 1) {
      out.push(l[i]);
      if (i + 1 < l.length && l[i + 1][0] - l[i][0] > gapSeconds) out.push([l[i][0] + gapSeconds / 2, null]);
    }
    return out;
  });
  const times = [...new Set(marked.flatMap((l) => l.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = marked.map((l) => {
    /** @type {Array<number | null | undefined>} */
    const column = new Array(times.length).fill(undefined);
    for (const [t, v] of l) column[/** @type {number} */ (index.get(t))] = v;
    return column;
  });
  return [times, ...columns];
}

/** @param {number} n */
const two = (n) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Time labels: `HH:MM` (with seconds only when ticks are under a minute apart) and the date on a
 * second line only at the first tick and where the day changes, so labels stay short; with
 * `space` wide enough for the longest label they never overlap.
 * @param {UPlot} u
 * @param {number[]} splits
 * @param {number} axisIdx
 * @param {number} space
 * @param {number} incr
 */
function timeLabels(u, splits, axisIdx, space, incr) {
  let day = '';
  return splits.map((t) => {
    const d = new Date(t * 1000);
    const time = `${two(d.getHours())}:${two(d.getMinutes())}${incr < 60 ? `:${two(d.getSeconds())}` : ''}`;
    const thisDay = `${MONTHS[d.getMonth()]} ${d.getDate()}`;
    const label = thisDay === day ? time : `${time}\n${thisDay}`;
    day = thisDay;
    return label;
  });
}

/** Tick steps, seconds: uPlot's own lack 2 and 3 minutes, so a 10-minute span got a single tick. */
const TIME_INCRS = [
  1,
  2,
  5,
  10,
  15,
  30,
  60,
  120,
  180,
  300,
  600,
  900,
  1800,
  3600,
  7200,
  10800,
  21600,
  43200,
  86400,
  2 * 86400,
  7 * 86400,
];

/**
 * A chart of these lists (one series each, named by `names`), with the levels as dashed lines.
 * @param {HTMLElement} container
 * @param {string} title
 * @param {string[]} names
 * @param {ReadonlyArray<readonly ChartPoint[]>} lists
 * @param {{ warning: number | null, error: number | null } | undefined} levels
 * @param {string} unit
 * @param {(value: number) => string} [format] y axis labels
 */
function chart(container, title, names, lists, levels, unit, format) {
  const gapSeconds = (() => {
    const interval = reportInterval(lists);
    return interval === undefined ? undefined : interval * GAP_FACTOR;
  })();
  const data = align(lists, gapSeconds);
  /** @type {import('uplot').Series[]} */
  const series = [
    {},
    ...names.map((name, i) => ({ label: name, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: false })),
  ];
  // Thresholds as constant dashed series: they show in the legend and scale the y axis.
  for (const [severity, value] of Object.entries(levels ?? {})) {
    if (value === null || value === undefined || data[0].length === 0) continue;
    series.push({
      label: `${severity} ${value}`,
      stroke: css(`--${severity}`),
      dash: [6, 4],
      width: 1.5,
      points: { show: false },
    });
    data.push(data[0].map(() => value));
  }
  /** @type {HTMLDivElement & { plot?: UPlot }} */
  const box = el('div', { class: 'chart', dataset: { chart: title } }, el('h3', { text: title }));
  container.append(box);
  if (data[0].length === 0) {
    box.append(el('p', { class: 'empty', text: 'no data in this range' }));
    return;
  }
  /** @type {import('uplot').Axis.DynamicValues | undefined} */
  const yValues = format === undefined ? undefined : (u, splits) => splits.map((v) => (v === null ? '' : format(v)));
  const plot = new uPlot(
    {
      width: Math.max(420, box.clientWidth - 16),
      height: 220,
      series,
      axes: [
        { space: 60, incrs: TIME_INCRS, values: timeLabels },
        { label: unit, size: 80, values: yValues },
      ],
      scales: { x: { time: true } },
    },
    data,
    box,
  );
  box.plot = plot;
  window.obsmonCharts = window.obsmonCharts ?? {};
  window.obsmonCharts[title] = {
    series: series.slice(1).map((s) => ({ label: s.label, dash: s.dash ?? null })),
    points: data[0].length,
    gapSeconds: gapSeconds ?? null,
    // Where each drawn series breaks (uPlot's null): an outage in the data shows here.
    gaps: data.slice(1, names.length + 1).map((column) => column.flatMap((v, i) => (v === null ? [data[0][i]] : []))),
  };
  // The plots themselves (not serialisable) for tests that measure the drawn axis labels.
  window.obsmonPlots = window.obsmonPlots ?? {};
  window.obsmonPlots[title] = plot;
}

/** The table's columns, in this order, for the series the node has. */
/** @type {Array<[key: string, heading: string, format: (value: number) => string]>} */
const COLUMNS = [
  ['cpu', 'cpu %', String],
  ['mem', 'memory %', String],
  ['disk', 'disk %', String],
  ['rx', 'nic in', formatRate],
  ['tx', 'nic out', formatRate],
  ['load1', 'load', String],
  ['temp', 'temp °C', String],
];

/** @typedef {[time: number, ...values: Array<number | null | undefined>]} Row */
/**
 * @param {typeof COLUMNS} columns
 * @param {Row[]} rows newest first
 */
function readingsTable(columns, rows) {
  const head = el('tr', {}, el('th', { text: 'time' }), ...columns.map(([, h]) => el('th', { text: h })));
  const body = rows.map(([t, ...values]) =>
    el(
      'tr',
      {},
      el('td', { text: new Date(t * 1000).toLocaleString() }),
      ...values.map((v, i) => el('td', { text: v === null || v === undefined ? '–' : columns[i][2](v) })),
    ),
  );
  return el('table', { class: 'readings' }, el('thead', {}, head), el('tbody', {}, ...body));
}

/**
 * `#/node/<name>`: the node's charts over the range picked, its latest readings and its recent events.
 * @param {HTMLElement} view
 * @param {string} name
 * @param {PageState} state
 */
export async function renderNodePage(view, name, state) {
  const mine = ++generation;
  const node = state.nodes.get(name);
  const picker = el('select', { 'aria-label': 'time range' });
  for (const [label, seconds] of RANGES) {
    const option = el('option', { value: String(seconds), text: label });
    if (seconds === rangeSeconds) option.selected = true;
    picker.append(option);
  }
  picker.addEventListener('change', () => {
    rangeSeconds = Number(picker.value);
    renderNodePage(view, name, state);
  });
  const status = node === undefined ? 'unknown' : node.up ? node.status : node.critical ? 'DOWN (critical)' : 'down';
  const charts = el('div', { class: 'charts' });
  const table = el('div');
  const events = el('div', { id: 'node-events' });
  view.replaceChildren(
    el(
      'div',
      { class: 'node-head' },
      el('h1', { text: name }),
      el('span', { text: node ? `${node.group} · ${status}` : 'unknown node' }),
      el('a', { href: '#/', text: '← all nodes' }),
      picker,
    ),
    // Which agent and version the node runs (its AGENT line), so an old one stands out.
    ...(node?.agent ? [el('p', { class: 'node-agent', text: `agent ${node.agent}` })] : []),
    charts,
    el('h2', { text: 'Latest readings' }),
    table,
    el('h2', { text: 'Recent events' }),
    events,
  );
  // Also for a node no longer in the table: its past is still in the log.
  void renderNodeEvents(events, name);
  if (node === undefined) return;

  // Every series is read up to the same report: the node's newest at the moment we start. A report
  // landing between the fetches is then in none of them, rather than in some (a row with holes).
  const newest = node.lastReportTimestamp ?? null;
  const to = newest === null ? Math.ceil(Date.now() / 1000) : newest;
  const from = to - rangeSeconds;
  /** @param {string} key */
  const levelsOf = (key) => {
    const m = node.metrics.find((x) => x.key === key);
    return m ? { warning: m.warning, error: m.error } : undefined;
  };
  /** @param {string} key */
  const has = (key) => node.metrics.some((m) => m.key === key && m.qualifier === null);
  const mounts = node.metrics.filter((m) => m.key === 'disk').map((m) => seriesId('disk', m.qualifier));
  const keys = ['cpu', 'mem', 'rx', 'tx', 'load1', 'temp'];
  const fetched = await Promise.all([...keys, ...mounts].map((m) => history(name, m, from, to)));
  if (mine !== generation) return;
  const byKey = new Map(keys.map((k, i) => [k, fetched[i]]));
  /** @param {string} key one of `keys` (or `disk`, whose lists are `disks`) */
  const pointsOf = (key) => byKey.get(key) ?? [];
  const disks = fetched.slice(keys.length);
  chart(charts, 'CPU', ['cpu %'], [pointsOf('cpu')], levelsOf('cpu'), '%');
  chart(charts, 'Memory', ['memory %'], [pointsOf('mem')], levelsOf('mem'), '%');
  chart(
    charts,
    'Disk',
    mounts.map((m) => (m === 'disk' ? '/' : m.slice(5))),
    disks,
    levelsOf('disk'),
    '%',
  );
  chart(charts, 'Network', ['in', 'out'], [pointsOf('rx'), pointsOf('tx')], undefined, 'bytes/s', formatRate);
  if (has('load1') || pointsOf('load1').length > 0)
    chart(charts, 'Load', ['load1'], [pointsOf('load1')], levelsOf('load1'), 'load');
  if (has('temp') || pointsOf('temp').length > 0)
    chart(charts, 'Temperature', ['temp'], [pointsOf('temp')], levelsOf('temp'), '°C');

  const columns = COLUMNS.filter(
    ([key]) => has(key) || (key === 'disk' && disks.length > 0) || pointsOf(key).length > 0,
  );
  const lists = columns.map(([key]) =>
    key === 'disk' ? (disks[mounts.indexOf('disk')] ?? disks[0] ?? []) : pointsOf(key),
  );
  const rows = align(lists);
  const last = rows[0]
    .map(/** @returns {Row} */ (t, i) => [t, ...rows.slice(1).map((c) => c[i])])
    .slice(-20)
    .reverse();
  // The newest row can still miss a value the node view holds for that very report (a series the
  // store had not yet written): take it from there.
  if (last.length > 0) {
    columns.forEach(([key], i) => {
      const m = node.metrics.find((x) => x.key === key && x.qualifier === null);
      if (m !== undefined && (last[0][i + 1] === undefined || last[0][i + 1] === null) && m.timestamp === last[0][0])
        last[0][i + 1] = m.value;
    });
  }
  charts.dataset.ready = String(rangeSeconds);
  table.replaceChildren(
    last.length === 0 ? el('p', { class: 'empty', text: 'no readings in this range' }) : readingsTable(columns, last),
  );
}

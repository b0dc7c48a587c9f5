// One node: history charts with dashed warning/error lines (the LAMOST web page) and a table of the
// latest readings. Data from /api/v1/nodes/:node/history; charts drawn with uPlot.
import { el } from './app.js';
import { renderNodeEvents } from './events.js';

const RANGES = [
  ['15 min', 900],
  ['1 h', 3600],
  ['6 h', 21600],
  ['24 h', 86400],
];
const COLOURS = ['#E69F00', '#56B4E9', '#CC79A7', '#F0E442', '#000000'];
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
let rangeSeconds = 3600;

async function history(node, metric, from, to) {
  const q = new URLSearchParams({ metric, from: String(from), to: String(to) });
  const res = await fetch(`api/v1/nodes/${encodeURIComponent(node)}/history?${q}`);
  if (!res.ok) return [];
  return (await res.json()).points ?? [];
}

/** Align several [[t, v]] lists on the union of their timestamps, as uPlot wants. */
function align(lists) {
  const times = [...new Set(lists.flatMap((l) => l.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = lists.map((l) => {
    const column = new Array(times.length).fill(null);
    for (const [t, v] of l) column[index.get(t)] = v;
    return column;
  });
  return [times, ...columns];
}

function chart(container, title, names, lists, levels, unit) {
  const data = align(lists);
  const series = [{}, ...names.map((name, i) => ({ label: name, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true }))];
  // Thresholds as constant dashed series: they show in the legend and scale the y axis.
  for (const [severity, value] of Object.entries(levels ?? {})) {
    if (value === null || value === undefined || data[0].length === 0) continue;
    series.push({ label: `${severity} ${value}`, stroke: css(`--${severity}`), dash: [6, 4], width: 1.5, points: { show: false } });
    data.push(data[0].map(() => value));
  }
  const box = el('div', { class: 'chart', dataset: { chart: title } }, el('h3', { text: title }));
  container.append(box);
  if (data[0].length === 0) {
    box.append(el('p', { class: 'empty', text: 'no data in this range' }));
    return;
  }
  const plot = new uPlot(
    { width: Math.max(420, box.clientWidth - 16), height: 220, series, axes: [{}, { label: unit, size: 70 }], scales: { x: { time: true } } },
    data,
    box,
  );
  box.plot = plot;
  window.obsmonCharts = window.obsmonCharts ?? {};
  window.obsmonCharts[title] = { series: series.slice(1).map((s) => ({ label: s.label, dash: s.dash ?? null })), points: data[0].length };
}

function readingsTable(rows) {
  const head = el('tr', {}, ...['time', 'cpu %', 'memory %', 'disk %', 'nic in B/s', 'nic out B/s'].map((h) => el('th', { text: h })));
  const body = rows.map(([t, ...values]) =>
    el('tr', {}, el('td', { text: new Date(t * 1000).toLocaleString() }), ...values.map((v) => el('td', { text: v === null ? '–' : String(v) }))),
  );
  return el('table', { class: 'readings' }, el('thead', {}, head), el('tbody', {}, ...body));
}

export async function renderNodePage(view, name, state) {
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
  const status = node === undefined ? 'unknown' : node.up ? node.status : 'stale';
  const charts = el('div', { class: 'charts' });
  const table = el('div');
  const events = el('div', { id: 'node-events' });
  view.replaceChildren(
    el('div', { class: 'node-head' }, el('h1', { text: name }), el('span', { text: node ? `${node.group} · ${status}` : 'unknown node' }), el('a', { href: '#/', text: '← all nodes' }), picker),
    charts,
    el('h2', { text: 'Latest readings' }),
    table,
    el('h2', { text: 'Recent events' }),
    events,
  );
  // Also for a node no longer in the table: its past is still in the log.
  void renderNodeEvents(events, name);
  if (node === undefined) return;

  const to = Math.ceil(Date.now() / 1000);
  const from = to - rangeSeconds;
  const levelsOf = (key) => {
    const m = node.metrics.find((x) => x.key === key);
    return m ? { warning: m.warning, error: m.error } : undefined;
  };
  const mounts = node.metrics.filter((m) => m.key === 'disk').map((m) => (m.qualifier === null ? 'disk' : `disk@${m.qualifier}`));
  const [cpu, mem, rx, tx, ...disks] = await Promise.all(['cpu', 'mem', 'rx', 'tx', ...mounts].map((m) => history(name, m, from, to)));
  chart(charts, 'CPU', ['cpu %'], [cpu], levelsOf('cpu'), '%');
  chart(charts, 'Memory', ['memory %'], [mem], levelsOf('mem'), '%');
  chart(charts, 'Disk', mounts.map((m) => (m === 'disk' ? '/' : m.slice(5))), disks, levelsOf('disk'), '%');
  chart(charts, 'Network', ['in', 'out'], [rx, tx], undefined, 'bytes/s');

  const rows = align([cpu, mem, disks[0] ?? [], rx, tx]);
  const last = rows[0].map((t, i) => [t, ...rows.slice(1).map((c) => c[i])]).slice(-20).reverse();
  table.replaceChildren(last.length === 0 ? el('p', { class: 'empty', text: 'no readings in this range' }) : readingsTable(last));
}

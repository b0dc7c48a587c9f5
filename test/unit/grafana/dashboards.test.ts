import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { STATUS_COLOURS } from '../../../lib/status-colours.ts';
import { Thresholds } from '../../../config/thresholds.ts';
import { SERIES_COLOURS } from '../../../grafana/src/palette.ts';
import { promtoolPath } from '../../helpers/promtool.ts';
import { allPanels, leftoverVariables, loadDashboards, panelTargets, substitute } from './dashboard-targets.ts';

const REPO = new URL('../../../', import.meta.url).pathname;
const dashboards = loadDashboards();
const datasources = (
  parse(readFileSync(join(REPO, 'grafana/provisioning/datasources/obsmon.yml'), 'utf8')) as {
    datasources: Array<{ uid: string; type: string }>;
  }
).datasources;
const defaults = Thresholds.load(join(REPO, 'config/thresholds.yaml'));

describe('generated dashboards', () => {
  test('there are the overview, node detail, node history and bridge dashboards, with unique uids', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual([
      'obsmon-bridge',
      'obsmon-node',
      'obsmon-node-history',
      'obsmon-overview',
    ]);
  });

  test.each(dashboards.map((d) => [d.file, d.json] as const))(
    '%s has what Grafana expects: annotation and variable lists, unique panel ids, a datasource on every query',
    (_file, json) => {
      expect(Array.isArray(json.annotations.list)).toBe(true);
      expect(Array.isArray(json.templating.list)).toBe(true);
      const ids = allPanels(json).map((p) => p['id']);
      expect(ids.every((id) => typeof id === 'number' && id > 0)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      for (const t of panelTargets(json)) {
        expect(t.datasource.uid, t.name).toBeDefined();
        const ds = datasources.find((d) => d.uid === t.datasource.uid);
        expect(ds, `${t.name} uses datasource ${t.datasource.uid}, which is not provisioned`).toBeDefined();
        expect(ds!.type).toBe(t.datasource.type);
      }
      for (const v of json.templating.list) {
        if (v.datasource !== undefined)
          expect(
            datasources.map((d) => d.uid),
            `$${v.name}`,
          ).toContain(v.datasource.uid);
      }
    },
  );

  test('every PromQL query, variables substituted, passes promtool check rules (syntax and types)', () => {
    const rules = dashboards.flatMap(({ json }) =>
      panelTargets(json)
        .filter((t) => t.datasource.type === 'prometheus')
        .map((t, i) => {
          const expr = substitute(String(t.target['expr']), {
            group: 'lab',
            node: 'n1',
            instance: '.*',
            __rate_interval: '1m',
            __interval: '15s',
          });
          expect(leftoverVariables(expr), t.name).toEqual([]);
          return { record: `dashboard:query_${i}`, expr };
        }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'obsmon-dashboard-rules-'));
    try {
      writeFileSync(join(dir, 'rules.yml'), stringify({ groups: [{ name: 'dashboards', rules }] }));
      const result = spawnSync(promtoolPath(), ['check', 'rules', join(dir, 'rules.yml')], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('colour steps of the overview bars are the default levels of thresholds.yaml, in the status colours', () => {
    const overview = dashboards.find((d) => d.json.uid === 'obsmon-overview')!.json;
    const bars = allPanels(overview).filter((p) => p.type === 'bargauge');
    expect(bars.map((p) => p.title)).toEqual(['CPU', 'Memory', 'Disk (fullest mount)']);
    for (const [panel, key] of bars.map((p, i) => [p, ['cpu', 'mem', 'disk'][i]!] as const)) {
      const levels = defaults.levels('', '', key)!;
      expect((panel.fieldConfig?.defaults?.['thresholds'] as { steps: unknown[] }).steps).toEqual([
        { value: null, color: STATUS_COLOURS.ok },
        { value: levels.warning, color: STATUS_COLOURS.warning },
        { value: levels.error, color: STATUS_COLOURS.error },
      ]);
      // The per-node levels: rows to fields maps the level columns to threshold steps in the same colours.
      const rowsToFields = panel.transformations!.find((t) => t.id === 'rowsToFields')!.options as {
        mappings: Array<{ fieldName: string; handlerKey: string; handlerArguments?: { threshold: { color: string } } }>;
      };
      expect(
        rowsToFields.mappings
          .filter((m) => m.handlerKey === 'threshold1')
          .map((m) => [m.fieldName, m.handlerArguments!.threshold.color]),
      ).toEqual([
        ['ok', STATUS_COLOURS.ok],
        ['warning', STATUS_COLOURS.warning],
        ['error', STATUS_COLOURS.error],
      ]);
    }
  });

  test('every colour in the dashboards is a status colour or a series colour of the status page', () => {
    const page = readFileSync(join(REPO, 'bridge/page/node-page.js'), 'utf8');
    const pageColours = /const COLOURS = \[([^\]]+)\]/.exec(page)![1]!.match(/#[0-9A-Fa-f]{6}/g);
    expect(SERIES_COLOURS).toEqual(pageColours);
    const allowed = new Set([...Object.values(STATUS_COLOURS), ...SERIES_COLOURS, 'text', 'rgba(0, 211, 255, 1)']);
    for (const { file, json } of dashboards) {
      const used = [...JSON.stringify(json).matchAll(/"(?:color|fixedColor|iconColor)":"([^"]+)"/g)].map((m) => m[1]!);
      expect(
        used.filter((c) => !allowed.has(c)),
        file,
      ).toEqual([]);
    }
  });

  test('history charts draw the warning and error levels dashed in the status colours', () => {
    let charts = 0;
    for (const { json } of dashboards) {
      for (const panel of allPanels(json).filter(
        (p) => p.type === 'timeseries' && p.targets?.some((t) => t.refId === 'warning'),
      )) {
        charts += 1;
        for (const severity of ['warning', 'error'] as const) {
          const override = panel.fieldConfig!.overrides!.find(
            (o) => o.matcher.id === 'byName' && o.matcher.options === severity,
          )!;
          const props = Object.fromEntries(override.properties.map((p) => [p.id, p.value]));
          expect(props['color'], `${panel.title} ${severity}`).toEqual({
            mode: 'fixed',
            fixedColor: STATUS_COLOURS[severity],
          });
          expect((props['custom.lineStyle'] as { fill: string }).fill).toBe('dash');
        }
      }
    }
    // CPU, memory, disk and swap on both node dashboards; temperature on the Prometheus one.
    expect(charts).toBe(9);
  });

  test('the overview links every node to its node detail, and every dashboard links to the others', () => {
    const overview = dashboards.find((d) => d.json.uid === 'obsmon-overview')!.json;
    const linked = allPanels(overview).filter((p) =>
      JSON.stringify(p.fieldConfig ?? {}).includes('/d/obsmon-node/obsmon-node?var-node='),
    );
    expect(linked.map((p) => p.title).sort()).toEqual([
      'CPU',
      'Disk (fullest mount)',
      'Memory',
      'Up',
      'Worst offenders',
    ]);
    for (const { json } of dashboards)
      expect(json['links']).toEqual([expect.objectContaining({ type: 'dashboards', tags: ['obsmon'] })]);
  });

  test('the overview has one repeated row per node group; the node dashboards have a node variable', () => {
    const overview = dashboards.find((d) => d.json.uid === 'obsmon-overview')!.json;
    expect(overview.panels.filter((p) => p.type === 'row' && p.repeat === 'group')).toHaveLength(1);
    for (const uid of ['obsmon-node', 'obsmon-node-history']) {
      expect(dashboards.find((d) => d.json.uid === uid)!.json.templating.list.map((v) => v.name)).toEqual(['node']);
    }
  });

  test('the readings tables show time, cpu, memory %, disk %, nic in and nic out, newest first', () => {
    for (const uid of ['obsmon-node', 'obsmon-node-history']) {
      const table = allPanels(dashboards.find((d) => d.json.uid === uid)!.json).find(
        (p) => p.type === 'table' && p.title === 'Latest readings',
      )!;
      const organize = table.transformations!.find((t) => t.id === 'organize')!.options as {
        renameByName: Record<string, string>;
      };
      expect(Object.values(organize.renameByName)).toEqual([
        'cpu %',
        'memory %',
        'disk %',
        'nic in B/s',
        'nic out B/s',
      ]);
      expect(table.transformations!.find((t) => t.id === 'sortBy')!.options).toEqual({
        sort: [{ field: 'Time', desc: true }],
      });
    }
  });
});

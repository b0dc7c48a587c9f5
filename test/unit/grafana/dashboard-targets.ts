import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The committed dashboards, as Grafana loads them. */
export const DASHBOARDS_DIR = new URL('../../../grafana/dashboards/', import.meta.url).pathname;

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface JsonPanel {
  type: string;
  title?: string;
  datasource?: DatasourceRef;
  targets?: Array<Record<string, unknown> & { refId?: string; datasource?: DatasourceRef }>;
  panels?: JsonPanel[];
  repeat?: string;
  fieldConfig?: {
    defaults?: Record<string, unknown>;
    overrides?: Array<{
      matcher: { id: string; options?: unknown };
      properties: Array<{ id: string; value?: unknown }>;
    }>;
  };
  transformations?: Array<{ id: string; options: Record<string, unknown> }>;
  [key: string]: unknown;
}

export interface JsonDashboard {
  uid: string;
  title: string;
  panels: JsonPanel[];
  templating: {
    list: Array<{ name: string; type: string; datasource?: DatasourceRef; query?: unknown; allValue?: string }>;
  };
  annotations: { list: unknown[] };
  [key: string]: unknown;
}

export interface PanelTarget {
  readonly dashboard: JsonDashboard;
  readonly panel: JsonPanel;
  readonly datasource: DatasourceRef;
  readonly target: Record<string, unknown> & { refId?: string };
  /** "dashboard title / panel title / refId", for failure messages. */
  readonly name: string;
}

export function loadDashboards(): Array<{ file: string; json: JsonDashboard }> {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as JsonDashboard }));
}

/** Every panel, rows' own panels included. */
export function allPanels(dashboard: JsonDashboard): JsonPanel[] {
  const out: JsonPanel[] = [];
  const walk = (panels: JsonPanel[] | undefined) => {
    for (const p of panels ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** Every query target with the datasource Grafana sends it to (the target's own, else the panel's). */
export function panelTargets(dashboard: JsonDashboard): PanelTarget[] {
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      dashboard,
      panel,
      datasource: target.datasource ?? panel.datasource ?? {},
      target,
      name: `${dashboard.title} / ${panel.title ?? panel.type} / ${target.refId ?? '?'}`,
    })),
  );
}

/** Grafana's substitution of `$name` / `${name}` variables and `$__interval`-style macros, for tests. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{?(__\w+|\w+)\}?/g, (whole, name: string) => values[name] ?? whole);
}

/** Variables left after substitution (a test that misses one would send Grafana syntax to a server). */
export function leftoverVariables(text: string): string[] {
  return [...text.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[0]);
}

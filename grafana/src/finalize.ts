import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

/** A panel as it appears in the JSON: rows hold their own panels only when collapsed. */
interface JsonPanel {
  id?: number;
  panels?: JsonPanel[];
  [key: string]: unknown;
}

/**
 * Fixes what the foundation SDK 0.0.21 leaves out of a built dashboard and Grafana expects
 * (seen in the JSON it emits, schemaVersion 42): `annotations` and `templating` without their `list`, panels
 * without `id` (the row gets 0, which Grafana treats as missing). Ids are numbered in layout order,
 * so regenerating gives the same JSON.
 */
export function finalizeDashboard(built: Dashboard): Record<string, unknown> {
  const json = JSON.parse(JSON.stringify(built)) as Record<string, unknown> & { panels?: JsonPanel[] };
  json['annotations'] = {
    list: [
      {
        // Grafana's built-in annotation query (alert state changes and manual annotations).
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      },
    ],
  };
  const templating = (json['templating'] ?? {}) as { list?: unknown[] };
  json['templating'] = { list: templating.list ?? [] };
  let next = 1;
  const number = (panels: JsonPanel[] | undefined) => {
    for (const panel of panels ?? []) {
      panel.id = next++;
      number(panel.panels);
    }
  };
  number(json.panels);
  return json;
}

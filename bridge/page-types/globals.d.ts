// Not served: the declarations the page scripts (bridge/page/) are type-checked against (tsconfig.page.json).
// What the page's scripts find in the browser besides the DOM: uPlot from its IIFE bundle (vendor/),
// and the objects the page exposes for browser tests. The JSON it reads is typed by the bridge's own
// types-only modules (bridge/state/node-view-json.ts, ...), imported in the scripts' JSDoc.
declare const uPlot: typeof import('uplot').default;
interface Window {
  obsmon: unknown;
  obsmonCharts?: Record<string, unknown>;
  obsmonPlots?: Record<string, unknown>;
}

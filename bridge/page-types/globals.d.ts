// Not served: the declarations the page scripts (bridge/page/) are type-checked against (tsconfig.page.json).
// What the page's scripts find in the browser besides the DOM: uPlot from its IIFE bundle (vendor/),
// and the objects the page exposes for browser tests.
declare const uPlot: typeof import('uplot').default;
interface Window {
  obsmon: unknown;
  obsmonCharts?: Record<string, unknown>;
  obsmonPlots?: Record<string, unknown>;
}

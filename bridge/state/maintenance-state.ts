// Types only, no imports: the status page's check (tsconfig.page.json) reads it, in a NodeView.

/** What the API and the page show for a node in a maintenance window (bridge/state/maintenance-windows.ts). */
export interface MaintenanceState {
  /** Unix seconds at which the window closes. */
  readonly until: number;
  readonly reason: string;
}

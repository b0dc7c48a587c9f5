import type { Levels } from '../protocol/status.ts';
import type { DeviceLevels } from './levels.ts';
import { badValues, ok, systemError, type CommandReturn } from './protocol/return-codes.ts';
import type { ValueTable } from './value-table.ts';

/** Metrics whose default levels rts2-mon may edit; all are percentages. */
export const EDITABLE_METRICS = ['cpu', 'mem', 'disk'] as const;

const LABEL: Record<(typeof EDITABLE_METRICS)[number], string> = {
  cpu: 'CPU usage',
  mem: 'memory in use',
  disk: 'disk usage',
};

/** Called after an accepted edit, e.g. to write the thresholds file. */
export type LevelsWriteBack = (metric: string, levels: Levels) => void;

/**
 * The writable values `cpu_warn`, `cpu_err`, `mem_warn`, ... (docs/rts2-wire.md §5, writable values): the
 * default levels of the thresholds file, editable from rts2-mon. An edit is checked (a percentage,
 * warning not above error) before it takes effect.
 */
export class ThresholdValues {
  private readonly owned = new Map<string, { metric: string; severity: keyof Levels }>();

  constructor(
    private readonly table: ValueTable,
    private readonly levels: DeviceLevels,
    private readonly writeBack?: LevelsWriteBack,
  ) {}

  /** Names this will define; reserve them before any node value is named. */
  names(): string[] {
    return EDITABLE_METRICS.filter((m) => this.levels.defaultLevels(m) !== undefined).flatMap((m) => [
      `${m}_warn`,
      `${m}_err`,
    ]);
  }

  define(): void {
    for (const metric of EDITABLE_METRICS) {
      const levels = this.levels.defaultLevels(metric);
      if (levels === undefined) continue;
      for (const severity of ['warning', 'error'] as const) {
        const name = `${metric}_${severity === 'warning' ? 'warn' : 'err'}`;
        this.owned.set(name, { metric, severity });
        this.table.define(name, {
          type: 'double',
          display: 'percents',
          writable: true,
          description: `[%] ${severity} level of ${LABEL[metric]} (default; node and group levels of the thresholds file win)`,
          value: levels[severity],
        });
      }
    }
  }

  /** Show the levels in use again after a reload of the thresholds file. */
  refresh(): void {
    for (const [name, { metric, severity }] of this.owned) {
      const levels = this.levels.defaultLevels(metric);
      if (levels !== undefined) this.table.set(name, levels[severity]);
    }
  }

  owns(name: string): boolean {
    return this.owned.has(name);
  }

  write(name: string, value: number): CommandReturn {
    const target = this.owned.get(name);
    const current = target && this.levels.defaultLevels(target.metric);
    if (target === undefined || current === undefined) return badValues('X');
    if (!Number.isFinite(value) || value < 0 || value > 100) return badValues('X');
    const next: Levels = { ...current, [target.severity]: value };
    if (next.warning > next.error) return badValues('X');
    try {
      // Saved first: an edit the site asked to keep must not take effect if it cannot be kept.
      this.writeBack?.(target.metric, next);
    } catch (error) {
      return systemError(`cannot save the thresholds file: ${(error as Error).message.split('\n')[0]}`);
    }
    this.levels.setDefault(target.metric, next);
    this.table.set(name, value);
    return ok();
  }
}

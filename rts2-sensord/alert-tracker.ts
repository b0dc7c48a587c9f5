import type { MessageType } from './protocol/state-bits.ts';
import type { Reading, ReadingCondition } from './readings.ts';

export interface Alert {
  readonly type: MessageType;
  readonly text: string;
}

const TYPE: Record<Exclude<ReadingCondition, 'stale'>, MessageType> = { ok: 'info', warning: 'warning', error: 'error' };

/**
 * One `M` line per change of a reading's condition (docs/rts2-wire.md §7: messages are the only alert
 * rts2-mon keeps in history). Staleness is not a change: a reading keeps its last known condition
 * through a gap, so a bridge restart does not repeat every warning. A reading seen for the first
 * time counts as coming from `ok`, so problems present at start-up are announced once.
 */
export class AlertTracker {
  private readonly last = new Map<string, ReadingCondition>();

  track(readings: readonly Reading[]): Alert[] {
    const alerts: Alert[] = [];
    for (const r of readings) {
      if (r.alert === undefined || r.condition === 'stale') continue;
      const before = this.last.get(r.id) ?? 'ok';
      this.last.set(r.id, r.condition);
      if (before === r.condition) continue;
      alerts.push({ type: TYPE[r.condition], text: r.alert[r.condition] });
    }
    return alerts;
  }
}

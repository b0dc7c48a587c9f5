import type { MessageType } from './protocol/state-bits.ts';
import type { Status } from '../protocol/status.ts';
import type { Reading } from './readings.ts';

export interface Alert {
  readonly type: MessageType;
  readonly text: string;
}

const TYPE: Record<Exclude<Status, 'stale'>, MessageType> = {
  ok: 'info',
  warning: 'warning',
  error: 'error',
};

/**
 * One `M` line per change of a reading's status (docs/rts2-wire.md §7: messages are the only alert
 * rts2-mon keeps in history). Staleness is not a change: a reading keeps its last known status
 * through a gap, so a bridge restart does not repeat every warning. A reading seen for the first
 * time counts as coming from `ok`, so problems present at start-up are announced once.
 */
export class AlertTracker {
  private readonly last = new Map<string, Status>();

  track(readings: readonly Reading[]): Alert[] {
    const alerts: Alert[] = [];
    for (const r of readings) {
      if (r.alert === undefined || r.status === 'stale') continue;
      const before = this.last.get(r.id) ?? 'ok';
      this.last.set(r.id, r.status);
      if (before === r.status) continue;
      alerts.push({ type: TYPE[r.status], text: r.alert[r.status] });
    }
    return alerts;
  }
}

const SEVERITY: Record<Alert['type'], number> = { debug: 0, info: 1, warning: 2, error: 3, critical: 4 };

/** The most severe type among `alerts`: a summary of changes is as serious as its worst change. */
export function worstType(alerts: readonly Alert[]): Alert['type'] {
  return alerts.reduce<Alert['type']>((worst, a) => (SEVERITY[a.type] > SEVERITY[worst] ? a.type : worst), 'info');
}

/** The one line that stands for `alerts` when a cycle has too many changes to send each. */
export function summaryText(alerts: readonly Alert[]): string {
  const count = (type: Alert['type']) => alerts.filter((a) => a.type === type).length;
  const parts = [
    [count('error'), 'to error'],
    [count('warning'), 'to warning'],
    [count('info'), 'back to normal'],
  ] as const;
  const detail = parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(', ');
  return `${alerts.length} more changes (${detail}); see rts2-mon values or the obsmon status page`;
}

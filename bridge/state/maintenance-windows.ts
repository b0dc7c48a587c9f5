import * as z from '../../config/zod.ts';
import { closedObject, describeValue } from '../../config/common-schemas.ts';
import { NODE_PATTERN } from '../../protocol/keys.ts';

/**
 * A maintenance window: while it is open, a node's alerts are suppressed (the rules read
 * `obsmon_node_maintenance`), and the API, page and RTS2 say "maintenance" instead of errors.
 * It selects one node or one inventory group, and is either one-off (`from`/`until`) or daily
 * (`daily: "HH:MM-HH:MM"` in `time_zone`, optionally on some `weekdays` only).
 */
export interface MaintenanceWindow {
  readonly selector: { readonly node: string } | { readonly group: string };
  readonly schedule: OneOff | Daily;
  readonly reason: string;
}
export interface OneOff {
  readonly kind: 'once';
  /** Unix ms; the window is open for from <= now < until. */
  readonly fromMs: number;
  readonly untilMs: number;
}
export interface Daily {
  readonly kind: 'daily';
  /** Minutes after local midnight; end <= start means the window crosses midnight. */
  readonly startMinute: number;
  readonly endMinute: number;
  readonly timeZone: string;
  /** Days (0 = Sunday) on which the window *starts*; undefined = every day. */
  readonly weekdays?: ReadonlySet<number>;
}

export const MAX_REASON_LENGTH = 200;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const instant = (what: string) =>
  z.pipe(
    z.union([z.number(), z.string()], {
      error: (issue) =>
        `expected ${what} as ISO 8601 (2026-12-01T08:00:00Z) or unix seconds, got ${describeValue(issue.input)}`,
    }),
    z.transform((v: number | string, ctx) => {
      // ISO 8601 with an explicit zone only: a bare local time would depend on the bridge host's zone.
      const ms =
        typeof v === 'number'
          ? v * 1000
          : /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(v)
            ? Date.parse(v)
            : Number.NaN;
      if (!Number.isFinite(ms)) {
        // What classic zod's ctx.addIssue pushed (zod/mini's transform gets the bare parse payload).
        ctx.issues.push({
          code: 'custom',
          message: `expected ${what} as ISO 8601 with a zone (2026-12-01T08:00:00Z) or unix seconds, got ${describeValue(v)}`,
          input: v,
        });
        return z.NEVER;
      }
      return ms;
    }),
  );
const timeZone = z.string({ error: 'expected an IANA time zone such as UTC or America/Santiago' }).check(
  z.refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    {
      error: (issue) => `expected an IANA time zone such as UTC or America/Santiago, got ${describeValue(issue.input)}`,
    },
  ),
);
const dailyRange = z
  .pipe(
    z.string({ error: (issue) => `expected daily: "HH:MM-HH:MM", got ${describeValue(issue.input)}` }).check(
      z.regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]|24):[0-5]\d$/, {
        error: (issue) => `expected daily: "HH:MM-HH:MM" (24-hour), got ${describeValue(issue.input)}`,
      }),
    ),
    z.transform((s: string) => {
      const [a = '', b = ''] = s.split('-');
      const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
      return { start: minutes(a), end: Math.min(minutes(b), 1440) };
    }),
  )
  .check(
    z.refine((r: { start: number; end: number }) => r.start !== r.end, {
      error: 'expected a daily window of non-zero length (start and end differ)',
    }),
  );

const windowFields = closedObject(
  {
    node: z.optional(
      z
        .string()
        .check(z.regex(NODE_PATTERN, { error: (issue) => `expected a node name, got ${describeValue(issue.input)}` })),
    ),
    group: z.optional(
      z.string().check(
        z.regex(/^[A-Za-z0-9_.-]{1,64}$/, {
          error: (issue) => `expected a group name, got ${describeValue(issue.input)}`,
        }),
      ),
    ),
    from: z.optional(instant('from')),
    until: z.optional(instant('until')),
    daily: z.optional(dailyRange),
    time_zone: z.optional(timeZone),
    weekdays: z.optional(
      z
        .array(z.enum(WEEKDAYS, { error: 'expected weekdays among sun, mon, tue, wed, thu, fri, sat' }), {
          error: 'expected a list of weekdays (mon, tue, ...)',
        })
        .check(z.minLength(1, { error: 'expected at least one weekday' })),
    ),
    reason: z._default(
      z
        .string({ error: 'expected a reason text' })
        .check(
          z.maxLength(MAX_REASON_LENGTH, { error: `expected a reason of at most ${MAX_REASON_LENGTH} characters` }),
        ),
      '',
    ),
  },
  '{ node | group, from/until or daily, time_zone, weekdays, reason }',
);
const checkedWindow = windowFields.check(
  z.superRefine((w, ctx) => {
    if ((w.node === undefined) === (w.group === undefined))
      ctx.addIssue({ code: 'custom', path: [], message: 'expected exactly one of node: or group:' });
    if (w.daily === undefined) {
      if (w.until === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: 'expected until: (a one-off window) or daily: "HH:MM-HH:MM"',
        });
      if (w.time_zone !== undefined || w.weekdays !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [w.time_zone !== undefined ? 'time_zone' : 'weekdays'],
          message: 'time_zone and weekdays belong to a daily window',
        });
      if (w.from !== undefined && w.until !== undefined && w.until <= w.from)
        ctx.addIssue({ code: 'custom', path: ['until'], message: 'until must be after from' });
    } else if (w.from !== undefined || w.until !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [w.from !== undefined ? 'from' : 'until'],
        message: 'a daily window has no from/until',
      });
    }
  }),
);
/** The schema of one window, shared by the inventory file and `POST /api/v1/maintenance`. */
export const maintenanceWindowSchema = z.pipe(
  checkedWindow,
  z.transform((w: z.output<typeof checkedWindow>): MaintenanceWindow => ({
    selector: w.node !== undefined ? { node: w.node } : { group: w.group! },
    schedule:
      w.daily === undefined
        ? { kind: 'once', fromMs: w.from ?? Number.NEGATIVE_INFINITY, untilMs: w.until! }
        : {
            kind: 'daily',
            startMinute: w.daily.start,
            endMinute: w.daily.end,
            timeZone: w.time_zone ?? 'UTC',
            ...(w.weekdays === undefined ? {} : { weekdays: new Set(w.weekdays.map((d) => WEEKDAYS.indexOf(d))) }),
          },
    reason: w.reason,
  })),
);

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Local weekday and minute of the day at `ms` in `timeZone`. */
function localTime(ms: number, tz: string): { weekday: number; minute: number; second: number } {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  const parts = new Map(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const weekday = WEEKDAYS.indexOf((parts.get('weekday') ?? '').toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number]);
  return {
    weekday,
    minute: Number(parts.get('hour')) * 60 + Number(parts.get('minute')),
    second: Number(parts.get('second')),
  };
}

/**
 * When the window open at `nowMs` closes (unix ms), or undefined when it is closed. A daily
 * window's end is counted in local minutes from now, so a DST change inside an open window moves
 * its end by that hour.
 */
export function windowOpenUntil(w: MaintenanceWindow, nowMs: number): number | undefined {
  const s = w.schedule;
  if (s.kind === 'once') return nowMs >= s.fromMs && nowMs < s.untilMs ? s.untilMs : undefined;
  const t = localTime(nowMs, s.timeZone);
  const startsOn = (day: number) => s.weekdays === undefined || s.weekdays.has(day);
  const endAt = (minutesLeft: number) => nowMs + (minutesLeft * 60 - t.second) * 1000 - (nowMs % 1000);
  if (s.startMinute < s.endMinute) {
    return startsOn(t.weekday) && t.minute >= s.startMinute && t.minute < s.endMinute
      ? endAt(s.endMinute - t.minute)
      : undefined;
  }
  // Across midnight: opened today (after start) or yesterday (before end).
  if (t.minute >= s.startMinute && startsOn(t.weekday)) return endAt(1440 - t.minute + s.endMinute);
  if (t.minute < s.endMinute && startsOn((t.weekday + 6) % 7)) return endAt(s.endMinute - t.minute);
  return undefined;
}

/** A window as the API lists it (the inverse of the schema, so a listed window can be posted again). */
export function describeWindow(w: MaintenanceWindow): Record<string, unknown> {
  const s = w.schedule;
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return {
    ...w.selector,
    ...(s.kind === 'once'
      ? {
          ...(Number.isFinite(s.fromMs) ? { from: new Date(s.fromMs).toISOString() } : {}),
          until: new Date(s.untilMs).toISOString(),
        }
      : {
          daily: `${hhmm(s.startMinute)}-${hhmm(s.endMinute)}`,
          time_zone: s.timeZone,
          ...(s.weekdays === undefined ? {} : { weekdays: WEEKDAYS.filter((_, i) => s.weekdays!.has(i)) }),
        }),
    reason: w.reason,
  };
}

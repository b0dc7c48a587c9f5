import type { Status } from '../protocol/status.ts';
import type { Rts2Scalar } from './protocol/encode.ts';
import type { Display, ErrorClass, ValueType } from './protocol/value-flags.ts';

/** Texts of the `M` line sent when a reading enters each status. */
export interface AlertTexts {
  readonly warning: string;
  readonly error: string;
  readonly ok: string;
}

/**
 * What one RTS2 value should show now, computed from the bridge's data: the device turns readings
 * into values (`E`/`V`), messages (`M`) and its state word (`S`).
 */
export interface Reading {
  /** Stable identity, e.g. `node:cam1:disk@/data`; names and alert memory hang on it. */
  readonly id: string;
  /** Wanted value name, already sanitised; made unique by ValueNames. */
  readonly name: string;
  readonly type: ValueType;
  readonly display: Display;
  readonly description: string;
  readonly value: Rts2Scalar;
  /** The number behind a figure shown as text (`12.0%`); NaN when there is no current data. */
  readonly figure?: number;
  /** `stale`: nothing current is known; shown without flags and never announced as a change. */
  readonly status: Status;
  /** The node this reading is about, for the device state; `maintenance` while it is in a window. */
  readonly node?: {
    readonly name: string;
    readonly critical: boolean;
    readonly maintenance?: { readonly until: number; readonly reason: string };
  };
  /** For the per-metric worst values: metric key and where (`cam1`, `cam1:/data`). */
  readonly metric?: { readonly key: string; readonly where: string };
  /** Present on readings whose changes are announced with `M` lines. */
  readonly alert?: AlertTexts;
}

export function errorClassOf(status: Status): ErrorClass {
  return status === 'warning' || status === 'error' ? status : 'good';
}

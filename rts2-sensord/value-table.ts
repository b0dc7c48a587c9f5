import { formatValue, metaLine, valueLine, type Rts2Scalar } from './protocol/encode.ts';
import { valueFlags, type Display, type ErrorClass, type ValueType } from './protocol/value-flags.ts';

/** What a value is; fixed once announced, since clients keep the type of the first `E`. */
export interface ValueSpec {
  readonly type: ValueType;
  readonly display?: Display;
  readonly writable?: boolean;
  /** RTS2 convention: unit first in brackets, e.g. `[%] node1 CPU usage`. */
  readonly description: string;
  readonly value: Rts2Scalar;
}

/** One RTS2 value as the device holds it. */
export interface Rts2Value {
  readonly name: string;
  readonly type: ValueType;
  readonly display: Display;
  readonly writable: boolean;
  description: string;
  errorClass: ErrorClass;
  value: Rts2Scalar;
}

const same = (a: Rts2Scalar, b: Rts2Scalar) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/**
 * The device's values in creation order (clients append new ones at the end, docs/rts2-wire.md §5),
 * with change tracking: a new value or a changed flag needs `E` + `V`, a changed value only `V`.
 * Values are never removed: RTS2 has no way to delete one.
 */
export class ValueTable {
  private readonly values = new Map<string, Rts2Value>();
  private readonly metaDirty = new Set<string>();
  private readonly valueDirty = new Set<string>();

  get size(): number {
    return this.values.size;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  get(name: string): Readonly<Rts2Value> | undefined {
    return this.values.get(name);
  }

  define(name: string, spec: ValueSpec): void {
    if (this.values.has(name)) throw new Error(`value ${name} defined twice`);
    this.values.set(name, {
      name,
      type: spec.type,
      display: spec.display ?? 'plain',
      writable: spec.writable ?? false,
      description: spec.description,
      errorClass: 'good',
      value: spec.value,
    });
    this.metaDirty.add(name);
  }

  set(name: string, value: Rts2Scalar): void {
    const v = this.require(name);
    if (same(v.value, value)) return;
    v.value = value;
    this.valueDirty.add(name);
  }

  setClass(name: string, errorClass: ErrorClass): void {
    const v = this.require(name);
    if (v.errorClass === errorClass) return;
    v.errorClass = errorClass;
    this.metaDirty.add(name);
  }

  setDescription(name: string, description: string): void {
    const v = this.require(name);
    if (v.description === description) return;
    v.description = description;
    this.metaDirty.add(name);
  }

  /** `E` + `V` of every value: what a new connection or a fresh registration receives. */
  metaLines(): string[] {
    return [...this.values.values()].flatMap((v) => [eLine(v), vLine(v)]);
  }

  /** `V` of every value (`info`, successful `auth`). */
  valueLines(): string[] {
    return [...this.values.values()].map(vLine);
  }

  /** Lines announcing everything changed since the last call, in creation order; clears the marks. */
  takeChanges(): string[] {
    const lines: string[] = [];
    for (const v of this.values.values()) {
      if (this.metaDirty.has(v.name)) lines.push(eLine(v), vLine(v));
      else if (this.valueDirty.has(v.name)) lines.push(vLine(v));
    }
    this.metaDirty.clear();
    this.valueDirty.clear();
    return lines;
  }

  private require(name: string): Rts2Value {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`value ${name} not defined`);
    return v;
  }
}

export function eLine(v: Readonly<Rts2Value>): string {
  return metaLine(valueFlags(v.type, v.display, v.writable, v.errorClass), v.name, v.description);
}

export function vLine(v: Readonly<Rts2Value>): string {
  return valueLine(v.name, formatValue(v.type, v.value));
}

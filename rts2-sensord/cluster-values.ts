import { errorClassOf, type Reading } from './readings.ts';
import type { ValueNames } from './value-names.ts';
import type { ValueTable } from './value-table.ts';

/**
 * Turns readings into table values: a reading seen for the first time defines its value (appended,
 * docs/rts2-wire.md §5), later ones update value, flags and description. The name of an identity never
 * changes, so rts2-mon and scripts can rely on it.
 */
export class ClusterValues {
  constructor(
    private readonly table: ValueTable,
    private readonly names: ValueNames,
  ) {}

  apply(readings: readonly Reading[]): void {
    for (const r of readings) {
      const name = this.names.claim(r.id, r.name);
      if (!this.table.has(name)) {
        this.table.define(name, { type: r.type, display: r.display, description: r.description, value: r.value });
      } else {
        this.table.set(name, r.value);
        this.table.setDescription(name, r.description);
      }
      this.table.setClass(name, errorClassOf(r.status));
    }
  }
}

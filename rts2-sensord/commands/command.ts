import type { DeviceState } from '../device-state.ts';
import type { CommandReturn } from '../protocol/return-codes.ts';
import type { ValueTable } from '../value-table.ts';

/** What commands may see and do on the device. */
export interface DeviceControl {
  readonly table: ValueTable;
  state(): DeviceState;
  /**
   * Check and apply a write to a writable value; on success the new `V` (and any flag changes it
   * causes) have been sent to every connection before this returns, as RTS2 does before `+0 OK`.
   */
  write(name: string, value: number): CommandReturn;
}

/** One received command on an authorised client connection. */
export interface CommandContext {
  readonly word: string;
  readonly params: readonly string[];
  readonly device: DeviceControl;
  /** Lines for this connection only, written before the return line. */
  reply(...lines: string[]): void;
}

/** Handles one command word; the returned code and text become the single return line. */
export type CommandHandler = (ctx: CommandContext) => CommandReturn;

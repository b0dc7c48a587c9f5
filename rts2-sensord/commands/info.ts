import { ok } from '../protocol/return-codes.ts';
import type { CommandHandler } from './command.ts';

/**
 * `info`: RTS2 sends the values changed since the last push (`Daemon::info`); every value is pushed
 * as it changes here, so an explicit refresh (rts2-mon F5) gets all of them.
 */
export const info: CommandHandler = ({ device, reply }) => {
  reply(...device.table.valueLines());
  return ok();
};

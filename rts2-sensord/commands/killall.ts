import { stateLine } from '../protocol/encode.ts';
import { ok } from '../protocol/return-codes.ts';
import type { CommandHandler } from './command.ts';

/**
 * `killall` / `killall_wse`: RTS2 clears the device's error bits. Here HW ERROR mirrors a condition
 * of the cluster, so it is re-asserted at once (docs/rts2-wire.md §6): the answer is the current state.
 */
export const killall: CommandHandler = ({ device, reply }) => {
  const { state, text } = device.state();
  reply(stateLine(state, text));
  return ok();
};

import { stateLine } from '../protocol/encode.ts';
import { ok } from '../protocol/return-codes.ts';
import type { CommandHandler } from './command.ts';

/** `status_info`: `S <state>` then `+0 OK` (`Device::statusInfo`). */
export const statusInfo: CommandHandler = ({ device, reply }) => {
  reply(stateLine(device.state().state));
  return ok();
};

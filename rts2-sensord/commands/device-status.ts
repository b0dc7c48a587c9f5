import { bopLine } from '../protocol/encode.ts';
import { ok } from '../protocol/return-codes.ts';
import type { CommandHandler } from './command.ts';

/**
 * `device_status`: RTS2 refreshes the state through centrald, then sends `B` and
 * `+0 device status updated` (`Device::endDeviceStatusCommand`). The state here is always current.
 */
export const deviceStatus: CommandHandler = ({ device, reply }) => {
  reply(bopLine(device.state().state, 0));
  return ok('device status updated');
};

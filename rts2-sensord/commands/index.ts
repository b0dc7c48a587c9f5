import { baseInfo } from './base-info.ts';
import type { CommandHandler } from './command.ts';
import { deviceStatus } from './device-status.ts';
import { exit } from './exit.ts';
import { info } from './info.ts';
import { killall } from './killall.ts';
import { scriptEnds } from './script-ends.ts';
import { setValue } from './set-value.ts';
import { statusInfo } from './status-info.ts';

/**
 * Commands an authorised client may send (docs/rts2-wire.md §4). Anything else gets RTS2's
 * `-1 unknow command <word>`; `auth` and `T` are handled by the session itself.
 */
export const COMMANDS: ReadonlyMap<string, CommandHandler> = new Map([
  ['info', info],
  ['base_info', baseInfo],
  ['X', setValue],
  ['status_info', statusInfo],
  ['device_status', deviceStatus],
  ['killall', killall],
  ['killall_wse', killall],
  ['script_ends', scriptEnds],
  ['exit', exit],
]);

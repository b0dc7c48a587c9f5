import { ok } from '../protocol/return-codes.ts';
import type { CommandHandler } from './command.ts';

/** `base_info`: `V` of constant values; this device has none (`Daemon::baseInfo`). */
export const baseInfo: CommandHandler = () => ok();

import { ok } from '../protocol/return-codes.ts';
import type { CommandHandler } from './command.ts';

/** `script_ends`: executors send it after every script; no value here depends on scripts. */
export const scriptEnds: CommandHandler = () => ok();

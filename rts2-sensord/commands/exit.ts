import { systemError } from '../protocol/return-codes.ts';
import type { CommandHandler } from './command.ts';

/**
 * `exit` terminates a real RTS2 device (`Device::commandAuthorized`). Any logged-in monitor could send
 * it, so it is refused: the service manager stops this process.
 */
export const exit: CommandHandler = () =>
  systemError('exit refused: stop obsmon rts2-sensord through its service manager');

import { parseRts2Number } from '../protocol/decode.ts';
import { badParameters, systemError } from '../protocol/return-codes.ts';
import type { CommandHandler } from './command.ts';

/**
 * `X <name> <op> <value>` (`Daemon::setValue`): op `=`, `+=` or `-=` (only its first character
 * counts); rts2-mon quotes the operand (`X cpu_warn = "70"`), the tokenizer has removed the quotes.
 * Error forms as RTS2's (docs/rts2-wire.md §4): unknown name or non-number `-2`, read-only `-5`.
 */
export const setValue: CommandHandler = ({ params, device }) => {
  const [name, op, operand, ...extra] = params;
  if (name === undefined || op === undefined || operand === undefined || extra.length > 0) return badParameters('X');
  const current = device.table.get(name);
  if (current === undefined) return badParameters('X');
  if (!current.writable) return systemError('cannot set read-only value');
  const number = parseRts2Number(operand);
  if (number === undefined || typeof current.value !== 'number') return badParameters('X');
  switch (op[0]) {
    case '=':
      return device.write(name, number);
    case '+':
      return device.write(name, current.value + number);
    case '-':
      return device.write(name, current.value - number);
    default:
      return badParameters('X');
  }
};

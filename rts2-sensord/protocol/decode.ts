/** One received line: its first word and the parameters after it. */
export interface Rts2Line {
  readonly command: string;
  readonly params: readonly string[];
}

const SPACE = /\s/;

/**
 * Split a line the way `Connection::processLine` and `paramNextString` do (docs/rts2-wire.md §2): the
 * command word runs to the first whitespace; a parameter starting with `"` runs to the next `"`
 * (no escapes; an unclosed quote runs to the end of the line), any other to the next whitespace.
 * Never throws.
 */
export function decodeLine(line: string): Rts2Line {
  let i = 0;
  while (i < line.length && SPACE.test(line[i]!)) i += 1;
  const start = i;
  while (i < line.length && !SPACE.test(line[i]!)) i += 1;
  const command = line.slice(start, i);
  const params: string[] = [];
  for (;;) {
    while (i < line.length && SPACE.test(line[i]!)) i += 1;
    if (i >= line.length) break;
    if (line[i] === '"') {
      const close = line.indexOf('"', i + 1);
      const end = close < 0 ? line.length : close;
      params.push(line.slice(i + 1, end));
      // RTS2 consumes the character after the token; for a quoted one that is the closing quote.
      i = end + 1;
    } else {
      const begin = i;
      while (i < line.length && !SPACE.test(line[i]!)) i += 1;
      params.push(line.slice(begin, i));
      i += 1;
    }
  }
  return { command, params };
}

/** A line starting with `+` or `-` answers a command (`Connection::isCommandReturn`). */
export function isCommandReturn(command: string): boolean {
  return command.startsWith('+') || command.startsWith('-');
}

/** `atoi` of the first word of a return line: `+0` -> 0, `-5` -> -5, garbage -> 0. */
export function returnCode(command: string): number {
  const match = /^[+-]?\d+/.exec(command);
  return match === null ? 0 : Number.parseInt(match[0], 10);
}

/**
 * RTS2 reads integers with `strtol` on the whole token and doubles with `sscanf %lf` (`nan`, `inf`
 * accepted); undefined when the token is not a number.
 */
export function parseRts2Number(token: string): number | undefined {
  const t = token.trim().toLowerCase();
  if (t === 'nan' || t === '+nan' || t === '-nan') return Number.NaN;
  if (/^[+-]?inf(inity)?$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/.test(t) ? Number(t) : undefined;
}

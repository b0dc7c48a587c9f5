import type { Socket } from 'node:net';

/**
 * The test peer's own reading of the RTS2 wire (docs/rts2-wire.md §2), written independently of
 * rts2-sensord/protocol so a codec bug cannot hide itself: lines end at `\n`, `\r` is dropped,
 * blank lines are skipped; tokens are `"..."` groups or runs of non-space.
 */
export function tokens(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"?|(\S+)/g)) out.push(m[1] ?? m[2] ?? '');
  return out;
}

/** Exact shapes RTS2 receivers accept; anything else from the device is a protocol error. */
export const SHAPES: Readonly<Record<string, RegExp>> = {
  E: /^E (\d+) "([^"\n]*)" "([^"\n]*)" $/,
  V: /^V ([A-Za-z0-9_]+) (\S.*)$/,
  S: /^S (\d+)(?: "([^"\n]*)")?$/,
  B: /^B (\d+) (\d+)$/,
  M: /^M (\d+) (\d+) (\S+) (\d+) (.*)$/,
  T: /^T (ready|OK)$/,
  return: /^([+-]\d+) (.*)$/,
  register: /^register 0 ([A-Za-z0-9_]+) (\d+) (\S+) (\d+)$/,
  authorize: /^authorize (\d+) (-?\d+)$/,
};

/** Calls `onLine` for every complete line received on `socket`. */
export function readLines(socket: Socket, onLine: (line: string) => void): void {
  let buffer = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line.trim() !== '') onLine(line);
    }
  });
}

/** A double as RTS2 prints it (`%.20le`) or any number/`nan` a receiver's sscanf accepts. */
export function rts2Number(text: string): number {
  return text === 'nan' ? Number.NaN : Number(text);
}

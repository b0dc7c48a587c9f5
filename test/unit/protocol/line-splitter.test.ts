import { describe, expect, test } from 'vitest';
import { LineSplitter, type LineSink } from '../../../protocol/line-splitter.ts';

type Event = { line: string } | { overlong: true } | { end: true };
const line = (text: string): Event => ({ line: text });
const OVERLONG: Event = { overlong: true };
const END: Event = { end: true };

interface Case {
  readonly name: string;
  /** Packets as a peer might send them; each mode below re-cuts them. */
  readonly input: ReadonlyArray<string | Buffer>;
  readonly maxLineBytes?: number;
  /** Events in order; END marks the peer closing its side (`end()`). */
  readonly expect: readonly Event[];
  /** Bytes held just before `end()`. */
  readonly held?: number;
}

const x = (n: number) => 'x'.repeat(n);

const cases: readonly Case[] = [
  { name: 'one line', input: ['ccd01 1 cpu=1\n'], expect: [line('ccd01 1 cpu=1'), END] },
  {
    name: 'two reports in one packet',
    input: ['a 1 cpu=1\nb 1 cpu=2\n'],
    expect: [line('a 1 cpu=1'), line('b 1 cpu=2'), END],
  },
  {
    name: 'line split across packets',
    input: ['ccd01 1763', '884800 cpu=1', '2.5\n'],
    expect: [line('ccd01 1763884800 cpu=12.5'), END],
  },
  {
    name: 'newline alone in the next packet',
    input: ['a 1 cpu=1', '\n', 'b'],
    expect: [line('a 1 cpu=1'), END, line('b')],
    held: 1,
  },
  { name: 'CRLF: the CR is left for the parser', input: ['a\r\nb\r\n'], expect: [line('a\r'), line('b\r'), END] },
  {
    name: 'empty lines are delivered empty',
    input: ['\n\na\n\r\n'],
    expect: [line(''), line(''), line('a'), line('\r'), END],
  },
  {
    name: 'no trailing newline: held until the peer closes',
    input: ['a\nbc'],
    expect: [line('a'), END, line('bc')],
    held: 2,
  },
  { name: 'nothing sent', input: [], expect: [END] },
  { name: 'line exactly at the limit', maxLineBytes: 8, input: ['12345678\n'], expect: [line('12345678'), END] },
  {
    name: 'line one byte over the limit',
    maxLineBytes: 8,
    input: ['123456789\nok\n'],
    expect: [OVERLONG, line('ok'), END],
  },
  {
    name: 'a CR counts toward the limit',
    maxLineBytes: 8,
    input: ['1234567\r\n12345678\r\nok\n'],
    expect: [line('1234567\r'), OVERLONG, line('ok'), END],
  },
  {
    name: 'the limit counts bytes, not characters',
    maxLineBytes: 4,
    input: [Buffer.from('éé\néééé\nok\n')],
    expect: [line('\xc3\xa9\xc3\xa9'), OVERLONG, line('ok'), END],
  },
  {
    name: 'overlong line discarded up to its newline, the next line delivered',
    maxLineBytes: 8,
    input: [`${x(20)}\nnext\n`],
    expect: [OVERLONG, line('next'), END],
  },
  {
    name: 'overlong line spanning many packets reported once',
    maxLineBytes: 8,
    input: [...Array<string>(10).fill(x(5)), '\nnext\n'],
    expect: [OVERLONG, line('next'), END],
  },
  {
    name: 'two overlong lines reported once each',
    maxLineBytes: 8,
    input: [`${x(9)}\nok\n${x(30)}\nok2\n`],
    expect: [OVERLONG, line('ok'), OVERLONG, line('ok2'), END],
  },
  {
    name: 'overlong line cut by the peer closing',
    maxLineBytes: 8,
    input: [`ok\n${x(12)}`],
    expect: [line('ok'), OVERLONG, END],
    held: 0,
  },
  {
    name: 'a line at the limit across packets',
    maxLineBytes: 8,
    input: ['1234', '5678', '\n'],
    expect: [line('12345678'), END],
  },
  {
    name: 'non-ASCII bytes preserved one latin1 char per byte',
    input: [Buffer.from([0x63, 0xc3, 0xa9, 0x00, 0xff, 0x0a])],
    expect: [line('c\u00c3\u00a9\u0000\u00ff'), END],
  },
];

const bytesOf = (input: Case['input']) =>
  Buffer.concat(input.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));

const modes: ReadonlyArray<readonly [string, (input: Case['input']) => Buffer[]]> = [
  ['as one chunk', (input) => [bytesOf(input)]],
  ['one byte at a time', (input) => [...bytesOf(input)].map((b) => Buffer.from([b]))],
  ['in the packets given', (input) => input.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))],
];

function replay(chunks: readonly Buffer[], maxLineBytes: number) {
  const events: Event[] = [];
  const overlongBytes: number[] = [];
  const sink: LineSink = {
    line: (text) => events.push(line(text)),
    overlong: (bytes) => {
      overlongBytes.push(bytes);
      events.push(OVERLONG);
    },
  };
  const splitter = new LineSplitter(maxLineBytes);
  let maxBuffered = 0;
  for (const chunk of chunks) {
    splitter.push(chunk, sink);
    maxBuffered = Math.max(maxBuffered, splitter.bufferedBytes);
  }
  const held = splitter.bufferedBytes;
  events.push(END);
  splitter.end(sink);
  return { events, overlongBytes, held, maxBuffered };
}

describe.each(modes)('LineSplitter fed %s', (_, cut) => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (__, c) => {
    const max = c.maxLineBytes ?? 4096;
    const { events, overlongBytes, held, maxBuffered } = replay(cut(c.input), max);
    expect(events).toEqual(c.expect);
    if (c.held !== undefined) expect(held).toBe(c.held);
    // How much was already thrown away when the line was noticed depends on the packet cuts.
    for (const bytes of overlongBytes) expect(bytes).toBeGreaterThan(max);
    expect(maxBuffered).toBeLessThanOrEqual(max);
  });
});

describe('LineSplitter', () => {
  test('gives identical lines for every cut of every case', () => {
    for (const c of cases) {
      const results = modes.map(([, cut]) => replay(cut(c.input), c.maxLineBytes ?? 4096).events);
      for (const r of results) expect(r, c.name).toEqual(results[0]);
    }
  });

  test('stop() after any line, then pushing the rest from the offset returned, gives identical lines', () => {
    for (const c of cases) {
      for (const [mode, cut] of modes) {
        const events: Event[] = [];
        const splitter = new LineSplitter(c.maxLineBytes ?? 4096);
        // A budget of one line per push, as a connection whose budget runs out after every line.
        const sink: LineSink = {
          line: (text) => {
            events.push(line(text));
            splitter.stop();
          },
          overlong: () => events.push(OVERLONG),
        };
        for (const chunk of cut(c.input)) {
          for (let at = 0; at < chunk.length;) {
            const next = splitter.push(chunk, sink, at);
            expect(next).toBeGreaterThan(at);
            at = next;
          }
        }
        events.push(END);
        splitter.end(sink);
        expect(events, `${c.name}, ${mode}`).toEqual(c.expect);
      }
    }
  });

  test('copies held bytes: the socket may reuse a chunk after the callback', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(64);
    const chunk = Buffer.from('abc');
    splitter.push(chunk, { line: (t) => lines.push(t), overlong: () => undefined });
    chunk.fill('z');
    splitter.push(Buffer.from('\n'), { line: (t) => lines.push(t), overlong: () => undefined });
    expect(lines).toEqual(['abc']);
  });

  test('frames again after end(): an overlong line cut by a close does not swallow the next connection', () => {
    const events: Event[] = [];
    const sink: LineSink = { line: (t) => events.push(line(t)), overlong: () => events.push(OVERLONG) };
    const splitter = new LineSplitter(4);
    splitter.push(Buffer.from('xxxxxxx'), sink);
    splitter.end(sink);
    splitter.push(Buffer.from('ok\n'), sink);
    expect(events).toEqual([OVERLONG, line('ok')]);
  });
});

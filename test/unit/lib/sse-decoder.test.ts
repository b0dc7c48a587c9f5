import { describe, expect, test } from 'vitest';
import { parseSseBlock, SseDecoder } from '../../../lib/sse-decoder.ts';

/** Every message of `chunks` fed one by one to a fresh decoder. */
function decode(chunks: ReadonlyArray<string | Uint8Array>, maxEventChars?: number) {
  const decoder = new SseDecoder(maxEventChars);
  return { messages: chunks.flatMap((c) => decoder.push(c)), decoder };
}

describe('SseDecoder', () => {
  const stream = 'id: 1\nevent: report\ndata: {"a":1}\n\n: heartbeat\n\nevent: status\ndata: x\n\n';

  test.each([
    ['LF', stream],
    ['CRLF', stream.replaceAll('\n', '\r\n')],
    ['CR', stream.replaceAll('\n', '\r')],
  ])('lines ending in %s give the same messages', (_, text) => {
    expect(decode([text]).messages).toEqual([
      { id: '1', event: 'report', data: '{"a":1}' },
      { id: undefined, event: 'status', data: 'x' },
    ]);
  });

  test('a CRLF split between two chunks is one line end, at every split point', () => {
    const text = stream.replaceAll('\n', '\r\n');
    for (let i = 1; i < text.length; i++) {
      expect(decode([text.slice(0, i), text.slice(i)]).messages, `split at ${i}`).toHaveLength(2);
    }
  });

  test('a UTF-8 character split between two byte chunks is decoded whole', () => {
    const bytes = new TextEncoder().encode('data: Zenit °\n\n');
    const cut = bytes.indexOf(0xb0);
    expect(decode([bytes.slice(0, cut), bytes.slice(cut)]).messages).toEqual([
      { id: undefined, event: 'message', data: 'Zenit °' },
    ]);
  });

  test('data lines join with \\n; one optional space after the colon is removed; a leading BOM is ignored', () => {
    expect(decode(['\uFEFFdata:a\ndata:  b\ndata\n\n']).messages).toEqual([
      { id: undefined, event: 'message', data: 'a\n b\n' },
    ]);
  });

  test('a block without data gives no message but its id is remembered for Last-Event-ID', () => {
    const { messages, decoder } = decode(['id: 41\n\nretry: 10\n\n']);
    expect(messages).toEqual([]);
    expect(decoder.lastEventId).toBe('41');
  });

  test('an event longer than the bound is dropped whole, and the next one is delivered', () => {
    const big = `data: ${'x'.repeat(50)}\ndata: tail\n\n`;
    const { messages, decoder } = decode([big.slice(0, 30), big.slice(30, 60), big.slice(60), 'data: next\n\n'], 20);
    expect(messages).toEqual([{ id: undefined, event: 'message', data: 'next' }]);
    expect(decoder.dropped).toBe(1);
  });

  test('an unfinished event is held until its blank line', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: a\n')).toEqual([]);
    expect(decoder.push('\n')).toEqual([{ id: undefined, event: 'message', data: 'a' }]);
  });
});

test('parseSseBlock: comments skipped, unknown fields ignored, an empty event name is "message"', () => {
  expect(parseSseBlock(':c\nevent:\nfoo: bar\ndata: d')).toEqual({ id: undefined, event: 'message', data: 'd' });
});

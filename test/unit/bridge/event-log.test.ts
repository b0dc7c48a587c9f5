import { describe, expect, test } from 'vitest';
import { EventLog } from '../../../bridge/expose/event-log.ts';

const frameText = (log: EventLog, seq: number) => log.frame(seq).toString('utf8');

describe('EventLog: frames as bytes in slabs, described in typed arrays', () => {
  test('each frame reads back whole, with its offset and UTF-8 length, across slabs and past the window', () => {
    const log = new EventLog(50, 'abcd');
    const texts = new Map<number, string>();
    let offset = 0;
    const offsets = new Map<number, number>();
    // Sizes from tiny to larger than a slab (256 KiB), non-ASCII included: slabs fill and a big frame gets its own.
    for (let i = 0; i < 200; i += 1) {
      const data = { i, text: 'é€😀'.repeat(i % 7) + 'x'.repeat(i === 120 ? 300_000 : (i * 997) % 20_000) };
      const seq = log.append(i % 3 === 0 ? 'status' : 'report', `n${i % 5}`, data, i % 4 === 0 ? 'peer' : 'local');
      const frame = `id: abcd.${seq}\nevent: ${i % 3 === 0 ? 'status' : 'report'}\ndata: ${JSON.stringify(data)}\n\n`;
      texts.set(seq, frame);
      offsets.set(seq, offset);
      offset += Buffer.byteLength(frame);
    }
    expect(log.lastSeq).toBe(200);
    expect(log.oldestSeq).toBe(151);
    expect(log.endOffset).toBe(offset);
    for (let seq = log.oldestSeq; seq <= log.lastSeq; seq += 1) {
      expect(frameText(log, seq)).toBe(texts.get(seq));
      expect(log.bytesOf(seq)).toBe(Buffer.byteLength(texts.get(seq)!));
      expect(log.offsetOf(seq)).toBe(offsets.get(seq));
      const seen: unknown[] = [];
      log.matches(seq, (type, node, origin) => (seen.push(type, node, origin), true));
      const i = seq - 1;
      expect(seen).toEqual([i % 3 === 0 ? 'status' : 'report', `n${i % 5}`, i % 4 === 0 ? 'peer' : 'local']);
    }
    expect(log.has(150)).toBe(false);
    expect(log.offsetOf(150)).toBe(log.endOffset);
    expect(log.offsetOf(201)).toBe(log.endOffset);
  });

  test('a frame handed out keeps its bytes while later events are appended (slabs are never reused)', () => {
    const log = new EventLog(4, 'abcd');
    const seq = log.append('report', 'a', { v: 1 });
    const view = log.frame(seq);
    const copy = Buffer.from(view);
    for (let i = 0; i < 5000; i += 1) log.append('report', 'b', { v: 'y'.repeat(200) });
    expect(log.has(seq)).toBe(false);
    expect(view.equals(copy)).toBe(true);
  });

  test('a relayed event with newlines gets one data field per line', () => {
    const log = new EventLog(4, 'abcd');
    const seq = log.appendJson('report', 'a', '{\n"v":1}', 'peer');
    expect(frameText(log, seq)).toBe('id: abcd.1\nevent: report\ndata: {\ndata: "v":1}\n\n');
  });
});

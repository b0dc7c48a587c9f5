import { describe, expect, test } from 'vitest';
import { LineBatch, LineBatchBuilder } from '../../../bridge/store/line-batch.ts';
import { timestampOfLine } from '../../../bridge/store/line-protocol.ts';

const line = (i: number) => `obsmon_node,node=n${i} cpu=${i}.5,mem=${i % 7} ${1_763_884_800 + i}`;
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => line(from + i));

describe('LineBatch', () => {
  test('holds the lines as the file has them and posts them as lines.join("\\n")', () => {
    const batch = LineBatch.of(lines(0, 3));
    expect(batch.count).toBe(3);
    expect(batch.lines()).toEqual(lines(0, 3));
    expect(batch.bytes().toString('latin1')).toBe(`${lines(0, 3).join('\n')}\n`);
    expect(batch.body().toString('latin1')).toBe(lines(0, 3).join('\n'));
    expect(batch.byteLength).toBe(lines(0, 3).reduce((sum, l) => sum + l.length + 1, 0));
    expect(batch.lineBytes(1)).toBe(line(1).length + 1);
  });

  test('a slice is the lines of that range, its body only theirs; slices of slices too', () => {
    const batch = LineBatch.of(lines(0, 10));
    const middle = batch.slice(3, 8);
    expect(middle.lines()).toEqual(lines(3, 5));
    expect(middle.body().toString('latin1')).toBe(lines(3, 5).join('\n'));
    expect(middle.slice(1, 3).lines()).toEqual(lines(4, 2));
    expect(middle.slice(4).lines()).toEqual([line(7)]);
    expect(batch.slice(8, 99).lines()).toEqual(lines(8, 2));
    expect(batch.slice(10).count).toBe(0);
    expect(batch.slice(10).body().length).toBe(0);
  });

  test('parse finds every complete line; the bytes after the last newline are a torn write, not a line', () => {
    const whole = `${lines(0, 4).join('\n')}\n`;
    const torn = LineBatch.parse(Buffer.from(`${whole}obsmon_node,node=a cp`, 'latin1'));
    expect(torn.batch.lines()).toEqual(lines(0, 4));
    expect(torn.tornBytes).toBe('obsmon_node,node=a cp'.length);
    expect(torn.batch.byteLength).toBe(whole.length);
    expect(LineBatch.parse(Buffer.from(whole, 'latin1')).tornBytes).toBe(0);
    expect(LineBatch.parse(Buffer.from('no newline', 'latin1'))).toMatchObject({ tornBytes: 10 });
    expect(LineBatch.parse(Buffer.from('no newline', 'latin1')).batch.count).toBe(0);
    expect(LineBatch.parse(Buffer.alloc(0)).batch.count).toBe(0);
    // An empty line is a line, as split('\n') had it.
    expect(LineBatch.parse(Buffer.from('a x=1 1\n\nb x=1 2\n', 'latin1')).batch.lines()).toEqual([
      'a x=1 1',
      '',
      'b x=1 2',
    ]);
  });

  test('parse of many lines (more than its first guess of line ends) keeps them all', () => {
    const many = lines(0, 5000).map((l, i) => (i % 3 === 0 ? 'x' : l));
    const { batch } = LineBatch.parse(Buffer.from(`${many.join('\n')}\n`, 'latin1'));
    expect(batch.lines()).toEqual(many);
  });

  test('bytes are kept as they are: a spool file with non-ASCII bytes comes back byte for byte', () => {
    const raw = Buffer.from([0x61, 0x20, 0xe9, 0xff, 0x80, 0x0a, 0x62, 0x0a]);
    const { batch } = LineBatch.parse(raw);
    expect(batch.bytes().equals(raw)).toBe(true);
    expect(batch.body().equals(raw.subarray(0, raw.length - 1))).toBe(true);
    expect(Buffer.from(batch.line(0), 'latin1').equals(raw.subarray(0, 5))).toBe(true);
  });

  test('timestamp reads the whole seconds ending a line, else falls back to timestampOfLine', () => {
    const text = ['m,node=a v=1 1763884800', 'up{node="a"} 1 1763884800.25', 'garbage', 'm v=1 x12', '5'];
    const batch = LineBatch.of(text);
    for (let i = 0; i < text.length; i += 1) expect(batch.timestamp(i)).toEqual(timestampOfLine(text[i]!));
    expect(batch.timestamp(0)).toBe(1763884800);
    expect(batch.timestamp(1)).toBe(1763884800.25);
    expect(batch.timestamp(2)).toBeNaN();
    // The digits of a slice's first line stop at its own start, not the previous line's bytes.
    const joined = LineBatch.parse(Buffer.from('a 1\n23\n', 'latin1')).batch;
    expect(joined.slice(1).timestamp(0)).toBe(timestampOfLine('23'));
  });

  test('concat and copy give the same lines in memory of their own', () => {
    const batch = LineBatch.of(lines(0, 6));
    const joined = LineBatch.concat([batch.slice(4), LineBatch.empty, batch.slice(0, 2), LineBatch.of(['z x=1 9'])]);
    expect(joined.lines()).toEqual([...lines(4, 2), ...lines(0, 2), 'z x=1 9']);
    expect(LineBatch.concat([batch.slice(2, 3)]).lines()).toEqual([line(2)]);
    expect(LineBatch.concat([]).count).toBe(0);
    const copy = batch.slice(1, 2).copy();
    batch.bytes().fill(0x41);
    expect(copy.lines()).toEqual([line(1)]);
  });
});

describe('LineBatchBuilder', () => {
  test('grows past its first buffer, also in the middle of a line, without losing a byte', () => {
    const builder = new LineBatchBuilder(64);
    const long = `m,node=a ${'f=1,'.repeat(100)}g=2 1763884800`;
    const input = [...lines(0, 20), long, ...lines(20, 20)];
    for (const l of input) builder.add(l);
    expect(builder.count).toBe(input.length);
    expect(builder.byteLength).toBe(input.reduce((sum, l) => sum + l.length + 1, 0));
    const batch = builder.take();
    expect(batch.lines()).toEqual(input);
    expect(builder.count).toBe(0);
    expect(builder.take().count).toBe(0);
  });

  test('a batch taken keeps its lines while the builder fills the next one', () => {
    const builder = new LineBatchBuilder(64);
    for (const l of lines(0, 5)) builder.add(l);
    const first = builder.take();
    for (const l of lines(5, 50)) builder.add(l);
    builder.addBatch(LineBatch.of(lines(0, 10)).slice(7));
    const second = builder.take();
    expect(first.lines()).toEqual(lines(0, 5));
    expect(second.lines()).toEqual([...lines(5, 50), ...lines(7, 3)]);
  });
});

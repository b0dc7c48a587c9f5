import { describe, expect, test } from 'vitest';
import { ReportInterest } from '../../../../bridge/expose/report-interest.ts';

const GRACE = 60_000;
const set = (...nodes: string[]) => new Set(nodes);

describe('ReportInterest: whose report events are built', () => {
  test('nobody listening: no node is wanted, nothing is covered', () => {
    const interest = new ReportInterest(GRACE, 100);
    expect(interest.wants('a', 0)).toBe(false);
    expect(interest.covers(set('a'), 0, 0)).toBe(false);
    expect(interest.covers(undefined, 0, 0)).toBe(false);
  });

  test('a filtered subscriber wants its nodes only, until its grace after leaving is over', () => {
    const interest = new ReportInterest(GRACE, 100);
    const release = interest.hold(set('a', 'b'), 1000, 10);
    expect([interest.wants('a', 1000), interest.wants('b', 1000), interest.wants('c', 1000)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(interest.size).toBe(2);
    release(5000);
    expect(interest.wants('a', 5000 + GRACE)).toBe(true);
    expect(interest.wants('a', 5001 + GRACE)).toBe(false);
    interest.prune(5000 + GRACE);
    expect(interest.size).toBe(2);
    interest.prune(5001 + GRACE);
    expect(interest.size).toBe(0);
  });

  test('an unfiltered subscriber wants every node', () => {
    const interest = new ReportInterest(GRACE, 100);
    const release = interest.hold(undefined, 0, 0);
    expect(interest.wants('anything', 0)).toBe(true);
    release(0);
    expect(interest.wants('anything', GRACE)).toBe(true);
    expect(interest.wants('anything', GRACE + 1)).toBe(false);
  });

  test('a resume is covered only after the seq interest began from, for every node of its filter', () => {
    const interest = new ReportInterest(GRACE, 100);
    interest.hold(set('a'), 0, 10);
    expect(interest.covers(set('a'), 10, 0)).toBe(true);
    expect(interest.covers(set('a'), 9, 0)).toBe(false); // reports of a before event 11 may be missing
    expect(interest.covers(set('a', 'b'), 10, 0)).toBe(false);
    expect(interest.covers(undefined, 10, 0)).toBe(false);
    interest.hold(undefined, 0, 20);
    expect(interest.covers(undefined, 20, 0)).toBe(true);
    expect(interest.covers(set('b'), 20, 0)).toBe(true);
    expect(interest.covers(set('b'), 19, 0)).toBe(false);
  });

  test('coming back within the grace keeps the stretch; after it, a new one begins (with a gap)', () => {
    const interest = new ReportInterest(GRACE, 100);
    interest.hold(set('a'), 0, 5)(1000);
    interest.hold(set('a'), 1000 + GRACE, 50);
    expect(interest.covers(set('a'), 5, 1000 + GRACE)).toBe(true);

    const lapsed = new ReportInterest(GRACE, 100);
    lapsed.hold(set('a'), 0, 5)(1000);
    lapsed.hold(set('a'), 1001 + GRACE, 50);
    expect(lapsed.covers(set('a'), 5, 1001 + GRACE)).toBe(false);
    expect(lapsed.covers(set('a'), 50, 1001 + GRACE)).toBe(true);
    expect(lapsed.size).toBe(1);
  });

  test('two subscribers of one node: it stays wanted until the last leaves', () => {
    const interest = new ReportInterest(GRACE, 100);
    const first = interest.hold(set('a'), 0, 0);
    const second = interest.hold(set('a'), 0, 0);
    first(0);
    first(0); // a release twice counts once
    expect(interest.wants('a', 10 * GRACE)).toBe(true);
    second(10 * GRACE);
    expect(interest.wants('a', 11 * GRACE + 1)).toBe(false);
    interest.prune(11 * GRACE + 1);
    expect(interest.size).toBe(0);
  });

  test('filters naming more nodes than the bound hold every node instead, and the map stays bounded', () => {
    const interest = new ReportInterest(GRACE, 3);
    interest.hold(set('a', 'b'), 0, 0);
    interest.hold(set('x', 'y'), 0, 7);
    expect(interest.size).toBe(2);
    expect(interest.wants('zzz', 0)).toBe(true);
    expect(interest.covers(set('y'), 7, 0)).toBe(true);
    interest.hold(set('a', 'c'), 0, 8);
    expect(interest.size).toBe(3);
  });

  test('names from the query that are Object.prototype keys are plain node names', () => {
    const interest = new ReportInterest(GRACE, 100);
    interest.hold(set('__proto__', 'constructor'), 0, 0);
    expect(interest.wants('__proto__', 0)).toBe(true);
    expect(interest.wants('toString', 0)).toBe(false);
    expect(interest.size).toBe(2);
  });
});

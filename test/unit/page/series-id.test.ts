import fc from 'fast-check';
import { expect, test } from 'vitest';
// @ts-expect-error plain browser JavaScript, no declarations
import * as page from '../../../bridge/page/series-id.js';
import { seriesId, splitSeriesId } from '../../../protocol/series-id.ts';

interface PageSeriesId {
  seriesId(key: string, qualifier: string | null): string;
  splitSeriesId(id: string): { key: string; qualifier: string | null };
}
const pageIds = page as PageSeriesId;

const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,31}$/);
const qualifier = fc.option(fc.stringMatching(/^[\x21-\x3c\x3e-\x7e]{1,64}$/), { nil: undefined });

test("the page's series ids are the protocol's: built and split alike", () => {
  fc.assert(
    fc.property(key, qualifier, (k, q) => {
      const id = seriesId(k, q);
      expect(pageIds.seriesId(k, q ?? null)).toBe(id);
      expect(splitSeriesId(id)).toEqual({ key: k, qualifier: q });
      expect(pageIds.splitSeriesId(id)).toEqual({ key: k, qualifier: q ?? null });
    }),
    { numRuns: 2000 },
  );
});

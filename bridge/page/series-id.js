// The page's copy of protocol/series-id.ts (the page is plain browser JS and cannot import it);
// test/unit/page/series-id.test.ts proves the two agree. Qualifiers are null here, as in /api/v1.

/**
 * `key` or `key@qualifier`.
 * @param {string} key
 * @param {string | null} qualifier
 */
export function seriesId(key, qualifier) {
  return qualifier === null ? key : `${key}@${qualifier}`;
}

/**
 * Split at the first `@` (keys never contain one).
 * @param {string} id
 * @returns {{ key: string, qualifier: string | null }}
 */
export function splitSeriesId(id) {
  const at = id.indexOf('@');
  return at < 0 ? { key: id, qualifier: null } : { key: id.slice(0, at), qualifier: id.slice(at + 1) };
}

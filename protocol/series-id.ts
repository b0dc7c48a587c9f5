/**
 * The one spelling of a series of a node: `key` for the node-wide value, `key@qualifier` otherwise.
 * Keys never contain `@` (keys.ts), so the first `@` splits it back. Built and split here only:
 * the table, history, stream, status, API and storage all name a series this way.
 */
export function seriesId(key: string, qualifier: string | undefined): string {
  return qualifier === undefined ? key : `${key}@${qualifier}`;
}

/** A series id split back into key and qualifier (undefined when it has none). No validation. */
export function splitSeriesId(id: string): { readonly key: string; readonly qualifier: string | undefined } {
  const at = id.indexOf('@');
  return at < 0 ? { key: id, qualifier: undefined } : { key: id.slice(0, at), qualifier: id.slice(at + 1) };
}

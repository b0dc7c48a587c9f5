/** Lists up to this long are kept exactly sized; a longer one grows in place (amortised). */
export const EXACT_UP_TO = 16;

/**
 * `list` with `item` appended. For the many short lists kept per node (its series in the table and
 * in the history): `push` leaves spare capacity (an array of 7 pushed one by one holds room for 17,
 * ~80 bytes more), so while short the result is a new array of exactly the new length (a copy,
 * fine for lists that grow rarely). Past EXACT_UP_TO the list itself is pushed to and returned, so
 * a node of many series does not copy its list per series. `list` may be a shared empty array.
 */
export function appended<T>(list: T[], item: T): T[] {
  if (list.length >= EXACT_UP_TO) {
    list.push(item);
    return list;
  }
  const next = new Array<T>(list.length + 1);
  for (let i = 0; i < list.length; i += 1) next[i] = list[i]!;
  next[list.length] = item;
  return next;
}

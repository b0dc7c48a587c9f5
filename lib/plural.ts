/** `1 node`, `2 nodes`: log lines read as English at any count. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** One Server-Sent Events message: an event block that carried at least one `data` line. */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** Characters of one unfinished event after which it is dropped; real events are < 1 KiB. */
export const MAX_SSE_EVENT_CHARS = 1 << 20;

/**
 * The one SSE read loop every client shares (Node 20 has no EventSource): feed it the response body
 * chunk by chunk, take the complete messages out. Lines may end in LF, CRLF or a lone CR, as the
 * spec allows, also when a CRLF is split between two chunks. An event longer than `maxEventChars`
 * is dropped whole (the rest of it up to the next blank line too), so a peer cannot make a client
 * hold an unbounded buffer, nor deliver the tail of a cut event as if it were one.
 */
export class SseDecoder {
  /** The `id` of the latest block that had one (also a block without data), for Last-Event-ID. */
  lastEventId: string | undefined;
  /** Events dropped for their size. */
  dropped = 0;
  private pending = '';
  private afterCr = false;
  private discarding = false;
  private started = false;
  private readonly utf8 = new TextDecoder();

  constructor(private readonly maxEventChars = MAX_SSE_EVENT_CHARS) {}

  push(chunk: Uint8Array | string): SseMessage[] {
    let text = typeof chunk === 'string' ? chunk : this.utf8.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = text.endsWith('\r');
    this.pending += text.replace(/\r\n?/g, '\n');
    const messages: SseMessage[] = [];
    let start = 0;
    let end: number;
    while ((end = this.pending.indexOf('\n\n', start)) >= 0) {
      const block = this.pending.slice(start, end);
      start = end + 2;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      const message = this.dispatch(block);
      if (message !== undefined) messages.push(message);
    }
    this.pending = this.pending.slice(start);
    if (this.pending.length > this.maxEventChars) {
      if (!this.discarding) this.dropped += 1;
      this.discarding = true;
      // Keep a trailing newline: with the next chunk's first one it ends the dropped event.
      this.pending = this.pending.endsWith('\n') ? '\n' : '';
    }
    return messages;
  }

  private dispatch(block: string): SseMessage | undefined {
    const { id, event, data } = parseSseBlock(block);
    if (id !== undefined) this.lastEventId = id;
    return data === undefined ? undefined : { id, event, data };
  }
}

/** One event block (the text between blank lines, LF-separated): comments skipped, `data` lines joined by `\n`. */
export function parseSseBlock(block: string): { id: string | undefined; event: string; data: string | undefined } {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value === '' ? 'message' : value;
    else if (field === 'data') data.push(value);
  }
  return { id, event, data: data.length === 0 ? undefined : data.join('\n') };
}

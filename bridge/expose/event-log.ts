/** One event of the live stream; `seq` grows by one per event within a bridge process. */
export interface StreamEvent {
  readonly seq: number;
  readonly type: 'report' | 'status';
  readonly node: string;
  /** Serialised once, shared by every subscriber. */
  readonly json: string;
  /** Whether the event happened here or was relayed from a peer bridge (`--peers`). */
  readonly origin: 'local' | 'peer';
  /** The whole SSE block (`id:`, `event:`, `data:`), built once and written to every subscriber. */
  readonly frame: string;
  /** UTF-8 length of `frame`. */
  readonly bytes: number;
  /** Bytes of all frames before this one since start-up: how far behind a subscriber is, in O(1). */
  readonly offset: number;
}

export type EventListener = (event: StreamEvent) => void;

/**
 * A bounded window of recent events (ring buffer) plus live fan-out. A client that reconnects with
 * the id of the last event it saw gets everything after it that is still in the window. Subscribers
 * read from this one window at their own pace (bridge/expose/stream-hub.ts), so a slow reader costs
 * a cursor, not a copy.
 */
export class EventLog {
  private readonly ring: Array<StreamEvent | undefined>;
  private nextSeq = 1;
  private nextOffset = 0;
  /** The last seq before an event that was not kept (skip); -1 while none was skipped. */
  private skippedAfter = -1;
  private readonly listeners = new Set<EventListener>();

  /** `instance` names this bridge process in event ids (`<instance>.<seq>`). */
  constructor(
    readonly capacity: number,
    readonly instance: string,
  ) {
    this.ring = new Array<StreamEvent | undefined>(capacity);
  }

  append(type: StreamEvent['type'], node: string, data: unknown, origin: StreamEvent['origin'] = 'local'): StreamEvent {
    return this.appendJson(type, node, JSON.stringify(data), origin);
  }

  /** An event whose data is already JSON text (relayed from a peer as received). */
  appendJson(type: StreamEvent['type'], node: string, json: string, origin: StreamEvent['origin']): StreamEvent {
    const seq = this.nextSeq;
    // A relayed event may carry newlines (multi-line `data:`); each line needs its own field.
    const data = json.includes('\n') ? json.replaceAll('\n', '\ndata: ') : json;
    const head = `id: ${this.instance}.${seq}\nevent: ${type}\ndata: `;
    const frame = `${head}${data}\n\n`;
    const bytes = Buffer.byteLength(frame);
    // Without newlines, `json` is a slice of the (now flat) frame: one copy of the text per event.
    const shared = data === json ? frame.slice(head.length, head.length + json.length) : json;
    const event: StreamEvent = { seq, type, node, json: shared, origin, frame, bytes, offset: this.nextOffset };
    this.ring[seq % this.capacity] = event;
    this.nextSeq += 1;
    this.nextOffset += event.bytes;
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** An event happened but was not kept (nobody could read it): a client that saw up to now missed it. */
  skip(): void {
    this.skippedAfter = this.nextSeq - 1;
  }

  /** Whether a client whose last event was `seq` missed one that was never kept. */
  missedAfter(seq: number): boolean {
    return seq <= this.skippedAfter;
  }

  /** Oldest sequence number still held (equals `nextSeq` when empty). */
  get oldestSeq(): number {
    return Math.max(1, this.nextSeq - this.capacity);
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Bytes of all frames appended since start-up (the offset the next event will get). */
  get endOffset(): number {
    return this.nextOffset;
  }

  /** The event with this seq, if still in the window. */
  at(seq: number): StreamEvent | undefined {
    if (seq < this.oldestSeq || seq >= this.nextSeq) return undefined;
    return this.ring[seq % this.capacity];
  }

  /** Events with seq > `afterSeq` still in the window, oldest first. */
  *after(afterSeq: number): Generator<StreamEvent> {
    for (let seq = Math.max(afterSeq + 1, this.oldestSeq); seq < this.nextSeq; seq += 1) {
      const event = this.ring[seq % this.capacity];
      if (event !== undefined) yield event;
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

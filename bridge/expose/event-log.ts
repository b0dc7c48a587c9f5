/** One event of the live stream; `seq` grows by one per event within a bridge process. */
export interface StreamEvent {
  readonly seq: number;
  readonly type: 'report' | 'status';
  readonly node: string;
  /** Serialised once, shared by every subscriber. */
  readonly json: string;
  /** Whether the event happened here or was relayed from a peer bridge (`--peers`). */
  readonly origin: 'local' | 'peer';
}

export type EventListener = (event: StreamEvent) => void;

/**
 * A bounded window of recent events (ring buffer) plus live fan-out. A client that reconnects with
 * the id of the last event it saw gets everything after it that is still in the window.
 */
export class EventLog {
  private readonly ring: Array<StreamEvent | undefined>;
  private nextSeq = 1;
  private readonly listeners = new Set<EventListener>();

  constructor(readonly capacity: number) {
    this.ring = new Array<StreamEvent | undefined>(capacity);
  }

  append(type: StreamEvent['type'], node: string, data: unknown, origin: StreamEvent['origin'] = 'local'): StreamEvent {
    return this.appendJson(type, node, JSON.stringify(data), origin);
  }

  /** An event whose data is already JSON text (relayed from a peer as received). */
  appendJson(type: StreamEvent['type'], node: string, json: string, origin: StreamEvent['origin']): StreamEvent {
    const event: StreamEvent = { seq: this.nextSeq, type, node, json, origin };
    this.ring[this.nextSeq % this.capacity] = event;
    this.nextSeq += 1;
    for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Oldest sequence number still held (equals `nextSeq` when empty). */
  get oldestSeq(): number {
    return Math.max(1, this.nextSeq - this.capacity);
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
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

  get subscriberCount(): number {
    return this.listeners.size;
  }
}

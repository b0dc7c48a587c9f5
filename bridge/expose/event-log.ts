export type StreamEventType = 'report' | 'status';
/** Whether an event happened here or was relayed from a peer bridge (`--peers`). */
export type StreamEventOrigin = 'local' | 'peer';

/** Whether a subscriber wants an event: asked of each event it reads. */
export type EventFilter = (type: StreamEventType, node: string, origin: StreamEventOrigin) => boolean;

/** Frames are written into slabs this large (a larger frame gets a slab of its own). */
const SLAB_BYTES = 256 * 1024;
const STATUS = 1;
const PEER = 2;

/**
 * A bounded window of recent events plus a signal to the readers (bridge/expose/stream-hub.ts). A
 * client that reconnects with the id of the last event it saw gets everything after it that is still
 * in the window. Each event's SSE frame (`id:`, `event:`, `data:`), built once and written to every
 * subscriber, is kept as bytes in append-only slabs outside the JavaScript heap, and what describes it
 * in typed arrays: the window holds no object per event, so 20 000 retained events cost the garbage
 * collector nothing (as strings and objects they were ~360 bytes each of old space to mark, promoted
 * at the fleet's report rate). A slab is freed when the window and every socket write are done with it.
 */
export class EventLog {
  private readonly kinds: Uint8Array;
  /** Bytes of all frames before each one since start-up: how far behind a subscriber is, in O(1). */
  private readonly offsets: Float64Array;
  private readonly lengths: Uint32Array;
  private readonly starts: Uint32Array;
  private readonly slabs: Array<Buffer | undefined>;
  /** Node names: the node table's own strings, so an event adds a reference, not a copy. */
  private readonly nodes: Array<string | undefined>;
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private slabUsed = 0;
  private nextSeq = 1;
  private nextOffset = 0;
  /** The last seq before an event that was not kept (skip); -1 while none was skipped. */
  private skippedAfter = -1;
  private readonly listeners = new Set<() => void>();

  /** `instance` names this bridge process in event ids (`<instance>.<seq>`). */
  constructor(
    readonly capacity: number,
    readonly instance: string,
  ) {
    this.kinds = new Uint8Array(capacity);
    this.offsets = new Float64Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.starts = new Uint32Array(capacity);
    // Grown as events come (seq order appends): a window preallocated at its capacity held 2 × 8 bytes
    // per slot of heap (~310 KB at 20 000) in a bridge that logged nothing yet. The typed arrays are
    // zero pages until written, so they cost no RSS before the events do.
    this.slabs = [];
    this.nodes = [];
  }

  /** Appends an event; returns its seq. */
  append(type: StreamEventType, node: string, data: unknown, origin: StreamEventOrigin = 'local'): number {
    return this.appendJson(type, node, JSON.stringify(data), origin);
  }

  /** An event whose data is already JSON text (relayed from a peer as received). */
  appendJson(type: StreamEventType, node: string, json: string, origin: StreamEventOrigin): number {
    const seq = this.nextSeq;
    // A relayed event may carry newlines (multi-line `data:`); each line needs its own field.
    const data = json.includes('\n') ? json.replaceAll('\n', '\ndata: ') : json;
    const frame = `id: ${this.instance}.${seq}\nevent: ${type}\ndata: ${data}\n\n`;
    // At most 3 bytes per UTF-16 unit: room checked without measuring the text first.
    const most = frame.length * 3;
    if (this.slabUsed + most > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, most));
      this.slabUsed = 0;
    }
    const bytes = this.slab.write(frame, this.slabUsed, 'utf8');
    const at = seq % this.capacity;
    this.kinds[at] = (type === 'status' ? STATUS : 0) | (origin === 'peer' ? PEER : 0);
    this.offsets[at] = this.nextOffset;
    this.lengths[at] = bytes;
    this.starts[at] = this.slabUsed;
    this.slabs[at] = this.slab;
    this.nodes[at] = node;
    this.slabUsed += bytes;
    this.nextSeq += 1;
    this.nextOffset += bytes;
    for (const listener of this.listeners) listener();
    return seq;
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

  /** Whether the event `seq` is still in the window (the readers below take only such seqs). */
  has(seq: number): boolean {
    return seq >= this.oldestSeq && seq < this.nextSeq;
  }

  /** Stream offset of event `seq` (in the window), or the end offset for the next one. */
  offsetOf(seq: number): number {
    return this.has(seq) ? this.offsets[seq % this.capacity]! : this.nextOffset;
  }

  bytesOf(seq: number): number {
    return this.lengths[seq % this.capacity]!;
  }

  /** Whether a subscriber's filter takes event `seq` (in the window). */
  matches(seq: number, filter: EventFilter): boolean {
    const at = seq % this.capacity;
    const kind = this.kinds[at]!;
    return filter(kind & STATUS ? 'status' : 'report', this.nodes[at]!, kind & PEER ? 'peer' : 'local');
  }

  /**
   * The frame of event `seq` (in the window), as a view of its slab. A view handed to a socket keeps
   * the slab alive until written; slabs are never reused, so the bytes cannot change meanwhile.
   */
  frame(seq: number): Buffer {
    const at = seq % this.capacity;
    const start = this.starts[at]!;
    return this.slabs[at]!.subarray(start, start + this.lengths[at]!);
  }

  /** Called after each event is appended (the hub schedules its flush). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

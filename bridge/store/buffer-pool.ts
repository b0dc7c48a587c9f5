import { Counter, Gauge, type Registry } from 'prom-client';

/** Idle bytes the process-wide pool keeps at most (64 MiB). */
export const POOL_MAX_IDLE_BYTES = 64 * 1024 * 1024;
/** Idle buffers are released once the pool went this long unused (ms). */
export const POOL_IDLE_RELEASE_MS = 60_000;

export interface BufferPoolStats {
  /** Bytes of the buffers waiting in the pool. */
  readonly idleBytes: number;
  /** Takes served by a pooled buffer. */
  readonly reused: number;
  /** Takes that found none fitting and allocated (fresh memory: a page fault per 4 KiB). */
  readonly allocated: number;
  /** Buffers given back and not kept: the pool was at its bound. */
  readonly refused: number;
}

/**
 * Batch buffers (the writer's batches, spool segments as appended and as read back) for reuse: on
 * this project's VMs fresh memory costs about 50 times what filling a used buffer does. Bounded: it
 * keeps at most `maxIdleBytes`, refuses (and counts) what would exceed that, and lets everything go
 * when it was not used (take or give) for `idleReleaseMs` (checked by `trim`, from the bridge tick, and at each take:
 * no timer of its own). Only a buffer nothing references any more may be given: not one still in a
 * spool segment, nor the body of a request that may still be on a socket.
 */
export class BufferPool {
  private idle: Buffer[] = [];
  private idleBytes = 0;
  /** Last take or give: the pool is idle from then on. */
  private lastUse: number;
  private reused = 0;
  private allocated = 0;
  private refused = 0;

  constructor(
    private readonly maxIdleBytes = POOL_MAX_IDLE_BYTES,
    private readonly idleReleaseMs = POOL_IDLE_RELEASE_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.lastUse = now();
  }

  /**
   * A buffer of at least `size` bytes (contents undefined): the smallest pooled one that fits and is
   * at most twice as large, else a new one. The bound keeps a small take (a batch) from carrying off
   * a large buffer (a spool segment read back), which the next large take would then miss.
   */
  take(size: number): Buffer {
    const now = this.now();
    this.trim(now);
    this.lastUse = now;
    let best = -1;
    for (let i = 0; i < this.idle.length; i += 1) {
      const length = this.idle[i]!.length;
      if (length >= size && length <= 2 * size && (best < 0 || length < this.idle[best]!.length)) best = i;
    }
    if (best < 0) {
      this.allocated += 1;
      return Buffer.allocUnsafe(size);
    }
    const buffer = this.idle[best]!;
    this.idle[best] = this.idle[this.idle.length - 1]!;
    this.idle.pop();
    this.idleBytes -= buffer.length;
    this.reused += 1;
    return buffer;
  }

  /** Hand back a buffer nothing references any more (see the class comment). A subarray gives its whole buffer. */
  give(given: Buffer): void {
    // Small ones may sit in Node's shared slab (Buffer.poolSize): not worth keeping, and not ours to give.
    if (given.buffer.byteLength <= Buffer.poolSize) return;
    const buffer =
      given.byteOffset === 0 && given.length === given.buffer.byteLength
        ? given
        : Buffer.from(given.buffer, 0, given.buffer.byteLength);
    if (this.idle.some((b) => b.buffer === buffer.buffer)) return;
    if (this.idleBytes + buffer.length > this.maxIdleBytes) {
      this.refused += 1;
      return;
    }
    this.idle.push(buffer);
    this.idleBytes += buffer.length;
    this.lastUse = this.now();
  }

  /** Release every idle buffer when the pool was not used for the idle time (for the bridge tick). */
  trim(now = this.now()): void {
    if (this.idle.length > 0 && now - this.lastUse >= this.idleReleaseMs) {
      this.idle = [];
      this.idleBytes = 0;
    }
  }

  stats(): BufferPoolStats {
    return { idleBytes: this.idleBytes, reused: this.reused, allocated: this.allocated, refused: this.refused };
  }
}

/** The process-wide pool every batch buffer comes from and goes back to. */
export const bufferPool = new BufferPool();

/**
 * The pool's gauges and counters on `registry` (once per process: the pool is process-wide, the
 * outputs that share it are not). `refused` rising means bursts larger than the pool's bound: the
 * memory is then fresh again (page faults), nothing is lost.
 */
export function registerBufferPoolMetrics(registry: Registry, pool: BufferPool = bufferPool): void {
  if (registry.getSingleMetric('obsmon_bridge_buffer_pool_idle_bytes') !== undefined) return;
  new Gauge({
    name: 'obsmon_bridge_buffer_pool_idle_bytes',
    help: `Bytes of batch buffers kept for reuse by the storage outputs (at most ${POOL_MAX_IDLE_BYTES})`,
    registers: [registry],
    collect() {
      this.set(pool.stats().idleBytes);
    },
  });
  const counted = (name: string, help: string, read: (stats: BufferPoolStats) => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = read(pool.stats());
        this.inc(now - seen);
        seen = now;
      },
    });
  };
  counted('obsmon_bridge_buffer_pool_reused_total', 'Batch buffers served from the pool', (s) => s.reused);
  counted('obsmon_bridge_buffer_pool_allocated_total', 'Batch buffers the pool had to allocate', (s) => s.allocated);
  counted(
    'obsmon_bridge_buffer_pool_refused_total',
    'Batch buffers given back and not kept: the pool was at its bound',
    (s) => s.refused,
  );
}

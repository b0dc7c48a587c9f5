/** Slots per block: a block is allocated whole, so a table of a few nodes holds one (12 KB at width 3). */
const BLOCK_SLOTS = 512;

/**
 * Numbers of the node table kept in shared Float64Array blocks, `width` doubles per slot. Node 20's
 * V8 has no pointer compression and no unboxed double fields: a number field that is not a small
 * integer points to a 16-byte HeapNumber of its own, 24 bytes per value where a slot here takes 8
 * (docs/hot-path.md, "What a node costs in memory"). Slots are reused after `release`; the blocks
 * stay at the most ever held at once, which the table's limits bound (maxNodes × maxSeriesPerNode).
 */
export class DoubleBlocks {
  private readonly blocks: Float64Array[] = [];
  /** A block's place in `blocks`, to turn a holder's (block, offset) back into its slot. */
  private readonly indexOf = new Map<Float64Array, number>();
  private readonly freed: number[] = [];
  private taken = 0;

  constructor(private readonly width: number) {}

  /** A free slot's number (its doubles zero): `blockOf` and `offsetOf` find them. */
  take(): number {
    const reused = this.freed.pop();
    if (reused !== undefined) {
      this.blockOf(reused).fill(0, this.offsetOf(reused), this.offsetOf(reused) + this.width);
      return reused;
    }
    const slot = this.taken;
    this.taken += 1;
    if (slot % BLOCK_SLOTS === 0) {
      const block = new Float64Array(BLOCK_SLOTS * this.width);
      this.indexOf.set(block, this.blocks.length);
      this.blocks.push(block);
    }
    return slot;
  }

  /**
   * Give back the slot at `offset` of `block` and return its doubles in an array of their own, for
   * the holder to read from now on: a removed node or series may still be read (the history, a
   * stream subscriber, rts2-sensord, the state saver hold them), and its slot goes to the next one.
   */
  release(block: Float64Array, offset: number): Float64Array {
    const index = this.indexOf.get(block);
    if (index === undefined) throw new Error('DoubleBlocks.release: not a block of this pool (released twice?)');
    this.freed.push(index * BLOCK_SLOTS + offset / this.width);
    return block.slice(offset, offset + this.width);
  }

  blockOf(slot: number): Float64Array {
    return this.blocks[(slot / BLOCK_SLOTS) | 0]!;
  }

  offsetOf(slot: number): number {
    return (slot % BLOCK_SLOTS) * this.width;
  }

  /** Slots held now (taken and not released). */
  get inUse(): number {
    return this.taken - this.freed.length;
  }

  /** Bytes of the blocks: the high-water mark of slots, rounded up to whole blocks. */
  get bytes(): number {
    return this.blocks.length * BLOCK_SLOTS * this.width * Float64Array.BYTES_PER_ELEMENT;
  }
}

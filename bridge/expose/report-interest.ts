/**
 * Whose report events someone can read: the nodes named by the `?node=` filters of stream subscribers
 * that want reports, or every node while one of them has no node filter. Interest outlives a subscriber
 * by `graceMs`, so a client reconnecting with Last-Event-ID resumes without loss. Building a report event
 * is most of what a report costs while a stream client listens (docs/hot-path.md), so a client watching
 * one node no longer pays for the other 10 000.
 *
 * Continuity is what makes a resume lossless: an interest remembers the last event seq before it began
 * (`since`), and a resume after seq S with a filter is lossless when every node it names has been
 * built without a gap since S or earlier (`covers`).
 */
export class ReportInterest {
  private all = new Held(0);
  /** Node name (agent text, hence a Map) → its interest; at most `maxNodes` entries. */
  private readonly nodes = new Map<string, Held>();
  /** Entries whose subscribers all left: pruned by `prune` once their grace is over. */
  private released = 0;

  constructor(
    private readonly graceMs: number,
    /** Distinct node names held; a filter that would pass it holds every node instead (correct, dearer). */
    private readonly maxNodes: number,
  ) {}

  /**
   * A subscriber wanting the reports of `nodes` (undefined: every node) from event `seq` on.
   * Returns its release, called when it leaves.
   */
  hold(nodes: ReadonlySet<string> | undefined, now: number, seq: number): (now: number) => void {
    if (nodes !== undefined && this.room(nodes)) {
      const held = [...nodes].map((node) => {
        let entry = this.nodes.get(node);
        if (entry !== undefined && entry.refs === 0) this.released -= 1; // held again, or replaced below
        if (entry === undefined || !entry.live(now)) {
          entry = new Held(seq);
          this.nodes.set(node, entry);
        }
        entry.refs += 1;
        return entry;
      });
      return once((at) => {
        for (const entry of held) if (entry.give(at + this.graceMs)) this.released += 1;
      });
    }
    if (!this.all.live(now)) this.all = new Held(seq);
    const all = this.all;
    all.refs += 1;
    return once((at) => all.give(at + this.graceMs));
  }

  /** Whether a report of `node` received at `at` is read by someone (its event must be built). */
  wants(node: string, at: number): boolean {
    if (this.all.live(at)) return true;
    if (this.nodes.size === 0) return false;
    const entry = this.nodes.get(node);
    return entry !== undefined && entry.live(at);
  }

  /** Whether every report of `nodes` (undefined: every node) after event `seq` was built. */
  covers(nodes: ReadonlySet<string> | undefined, seq: number, now: number): boolean {
    if (this.all.live(now) && this.all.since <= seq) return true;
    if (nodes === undefined) return false;
    for (const node of nodes) {
      const entry = this.nodes.get(node);
      if (entry === undefined || !entry.live(now) || entry.since > seq) return false;
    }
    return true;
  }

  /** Node names held (gauge). */
  get size(): number {
    return this.nodes.size;
  }

  /** Forgets interests whose grace is over; the bridge's one-second tick calls it. */
  prune(now: number): void {
    if (this.released === 0) return;
    for (const [node, entry] of this.nodes) {
      if (entry.live(now)) continue;
      this.nodes.delete(node);
      this.released -= 1;
    }
  }

  private room(nodes: ReadonlySet<string>): boolean {
    let added = 0;
    for (const node of nodes) if (!this.nodes.has(node)) added += 1;
    return this.nodes.size + added <= this.maxNodes;
  }
}

/** Held by `refs` subscribers, or by none until `until`; built without a gap after event `since`. */
class Held {
  refs = 0;
  until = -Infinity;

  constructor(readonly since: number) {}

  live(at: number): boolean {
    return this.refs > 0 || at <= this.until;
  }

  /** True when this was the last subscriber. */
  give(until: number): boolean {
    this.refs -= 1;
    if (this.refs > 0) return false;
    this.until = until;
    return true;
  }
}

function once(release: (at: number) => void): (at: number) => void {
  let done = false;
  return (at) => {
    if (done) return;
    done = true;
    release(at);
  };
}

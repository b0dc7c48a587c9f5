/**
 * Coalesces "tell me when everything so far is safe" requests: all callers within one window share
 * one flush, so thousands of agents acknowledging every report cost one write per window, not one
 * each. A request made while a flush runs waits for the next one (its lines may have missed it).
 */
export class DurabilityBarrier {
  private next: Promise<void> | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly flush: () => Promise<void>,
    private readonly windowMs: number,
  ) {}

  /** Resolves once every line handed to the writer before this call is written or spooled. */
  wait(): Promise<void> {
    this.next ??= new Promise<void>((resolve, reject) => {
      setTimeout(() => {
        const start = async () => {
          // Lines taken after a flush began may not be in it: let that flush finish first.
          await this.running?.catch(() => {});
          this.next = undefined;
          this.running = this.flush();
          // A failed flush secured nothing: reject, so no acknowledgement goes out and agents re-send.
          await this.running.then(resolve, reject);
        };
        void start();
      }, this.windowMs).unref();
    });
    return this.next;
  }
}

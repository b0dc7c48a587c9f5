import type { Logger } from '../../lib/logger.ts';
import { fetchNodes } from '../../lib/nodes-client.ts';
import type { NodeView } from '../state/node-view.ts';

interface PeerState {
  readonly url: string;
  views: NodeView[];
  fetchedAt: number | undefined;
  failing: boolean;
}

const FETCH_TIMEOUT_MS = 2000;

/**
 * The local node views of peer bridges (`--peers`), polled every `intervalMs` from
 * `/api/v1/nodes?scope=local`. A peer that stops answering keeps its last views, shown as stale:
 * its nodes' agents move to another bridge, and until then the nodes stay listed.
 */
export class PeerNodes {
  private readonly peers: PeerState[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    urls: readonly string[],
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly headers: Record<string, string> = {},
  ) {
    this.peers = urls.map((url) => ({ url: url.replace(/\/+$/, ''), views: [], fetchedAt: undefined, failing: false }));
  }

  start(): void {
    const poll = () => {
      void Promise.all(this.peers.map((p) => this.poll(p))).finally(() => {
        this.timer = setTimeout(poll, this.intervalMs);
        this.timer.unref();
      });
    };
    poll();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Every peer's views, oldest-fetched data marked stale when its peer is failing. */
  views(): NodeView[][] {
    return this.peers.map((p) =>
      p.failing ? p.views.map((v) => ({ ...v, up: false, status: 'stale' as const })) : p.views,
    );
  }

  /** Wait until every peer answered once (or failed once). */
  async ready(): Promise<void> {
    await Promise.all(this.peers.map((p) => (p.fetchedAt === undefined ? this.poll(p) : Promise.resolve())));
  }

  private async poll(peer: PeerState): Promise<void> {
    try {
      const answer = await fetchNodes(peer.url, { scope: 'local', headers: this.headers, timeoutMs: FETCH_TIMEOUT_MS });
      peer.views = answer.nodes;
      peer.fetchedAt = Date.now();
      if (peer.failing) this.log.info(`Peer ${peer.url} answers again`);
      peer.failing = false;
    } catch (error) {
      if (!peer.failing)
        this.log.warn(`Peer ${peer.url} does not answer (${(error as Error).message}); showing its nodes as stale`);
      peer.failing = true;
      peer.fetchedAt ??= Date.now();
    }
  }
}

import type { Logger } from '../../lib/logger.ts';
import type { EventLog } from '../expose/event-log.ts';
import type { NodeView } from '../state/node-view.ts';
import { PeerNodes } from './peer-nodes.ts';
import { SseSubscriber } from './sse-subscriber.ts';

export interface Peers {
  views(): NodeView[][];
  stop(): void;
}

/**
 * The union view without a cluster protocol: each bridge reads its peers' own node lists over HTTP
 * and relays their own stream events (`scope=local`, so nothing is relayed twice) into its stream.
 * Consumers (status page, API clients, rts2-sensord) talk to any one bridge and see every node.
 */
export function startPeers(urls: readonly string[], intervalSeconds: number, events: EventLog, log: Logger): Peers {
  const nodes = new PeerNodes(urls, intervalSeconds * 1000, log);
  nodes.start();
  const streams = urls.map((url) => {
    const subscriber = new SseSubscriber(new URL(`${url.replace(/\/+$/, '')}/api/v1/stream?scope=local`), (message) => {
      if (message.event !== 'report' && message.event !== 'status') return;
      const node = nodeOf(message.data);
      if (node !== undefined) events.appendJson(message.event, node, message.data, 'peer');
    });
    subscriber.start();
    return subscriber;
  });
  return {
    views: () => nodes.views(),
    stop() {
      nodes.stop();
      for (const s of streams) s.stop();
    },
  };
}

function nodeOf(json: string): string | undefined {
  try {
    const parsed = JSON.parse(json) as { node?: unknown };
    return typeof parsed.node === 'string' ? parsed.node : undefined;
  } catch {
    return undefined;
  }
}

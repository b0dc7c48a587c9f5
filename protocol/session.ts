import { REJECT_REASONS, type RejectReason } from './reject-reasons.ts';

/**
 * The session lines of protocol v1 besides reports (docs/protocol.md §9), one home for both ends:
 * an agent's `AUTH <token>` (first line only), `AGENT <name>/<version>` (once per connection) and
 * `PING <token>`, the bridge's `PONG <token>` and `ERR <reason>`. Parsers never throw; encoders add the newline.
 */

/** `ERR` words that are not a line's reject reason: an `AUTH` line with a token the bridge does not know. */
export const SESSION_ERRORS = ['bad_token'] as const;
export type ErrReason = RejectReason | (typeof SESSION_ERRORS)[number];
/** Every word a bridge may write after `ERR `: a closed set, so agents can count replies by it. */
export const ERR_REASONS: readonly ErrReason[] = [...REJECT_REASONS, ...SESSION_ERRORS];
const ERR_REASON_SET: ReadonlySet<string> = new Set(ERR_REASONS);

// docs/protocol.md §9: `control = 1*UPPER SP token`, token = visible ASCII (%x21-7E); a PING token is at most 64.
const AUTH_LINE = /^AUTH ([!-~]+)\r?$/;
const PING_LINE = /^PING ([!-~]{1,64})\r?$/;
// `AGENT <name>/<version>`: one visible-ASCII token, name and version non-empty (length checked apart).
const AGENT_LINE = /^AGENT ([!-.0-~]+\/[!-~]+?)\r?$/;
/** The longest `AGENT` token: what a connection can make the bridge keep per node. */
export const MAX_AGENT_CHARS = 64;
const PONG_LINE = /^PONG ([!-~]{1,64})\r?$/;
// Any `ERR ` line is a refusal; a word outside ERR_REASONS (another implementation) counts as `other`.
const ERR_LINE = /^ERR (.*?)\r?$/;

/** `AUTH <token>`: its token, or undefined when the line is not one. */
export function parseAuth(line: string): string | undefined {
  return AUTH_LINE.exec(line)?.[1];
}

/** `PING <token>`: its token, or undefined when the line is not one (a bare `PING` is not). */
export function parsePing(line: string): string | undefined {
  return PING_LINE.exec(line)?.[1];
}

/** `AGENT <name>/<version>`: its token (`obsmon-exporter/0.1.0`), or undefined when the line is not one. */
export function parseAgent(line: string): string | undefined {
  // `AGENT ` + the longest token + `\r`: a longer line is not one, without running the expression.
  if (line.length > MAX_AGENT_CHARS + 7) return undefined;
  const agent = AGENT_LINE.exec(line)?.[1];
  return agent !== undefined && agent.length <= MAX_AGENT_CHARS ? agent : undefined;
}

export type BridgeReply =
  | { readonly kind: 'pong'; readonly token: string }
  /** `reason` is `other` for a word outside ERR_REASONS (another bridge implementation). */
  | { readonly kind: 'err'; readonly reason: ErrReason | 'other' };

/** A line the bridge wrote back; undefined for anything else. */
export function parseReply(line: string): BridgeReply | undefined {
  const pong = PONG_LINE.exec(line);
  if (pong !== null) return { kind: 'pong', token: pong[1]! };
  const err = ERR_LINE.exec(line);
  if (err === null) return undefined;
  const word = err[1]!.trim();
  return { kind: 'err', reason: ERR_REASON_SET.has(word) ? (word as ErrReason) : 'other' };
}

export const encodeAuth = (token: string): string => `AUTH ${token}\n`;
export const encodeAgent = (agent: string): string => `AGENT ${agent}\n`;
export const encodePing = (token: string | number): string => `PING ${token}\n`;
export const encodePong = (token: string): string => `PONG ${token}\n`;
export const encodeErr = (reason: ErrReason): string => `ERR ${reason}\n`;

import type { NodeView } from '../state/node-view.ts';
import { ruleMatches, type SafetyCondition, type SafetyRule } from '../state/safety-rules.ts';

/** The answer INDI's Weather Safety Proxy driver reads: `{"roof_status":{"open_ok":0|1,"reasons":"..."}}`. */
export interface RoofStatus {
  readonly open_ok: 0 | 1;
  readonly reasons: string;
}

/** Problems named in `reasons`; the rest are counted ("+3 more"). */
export const MAX_REASON_ITEMS = 10;
/** Longest `reasons` text: INDI shows it in one text field and its driver copies it into a 2 KiB buffer. */
export const MAX_REASONS_CHARS = 400;
/** Metric keys named per node in error. */
const MAX_KEYS_PER_NODE = 3;

interface Problem {
  readonly node: string;
  readonly condition: SafetyCondition;
  readonly unsafe: boolean;
  /** Keys of the metrics in error (condition `error`). */
  readonly keys: readonly string[];
}

/**
 * Judge the roof from the node views (their `up` and `status` are the bridge's one judgement of
 * liveness and thresholds; nothing is re-judged here). Advisory by default: critical nodes down and
 * nodes in error are named in `reasons` while `open_ok` stays 1; only a problem an opt-in rule
 * matches makes `open_ok` 0.
 */
export function roofStatus(views: readonly NodeView[], rules: readonly SafetyRule[]): RoofStatus {
  const problems: Problem[] = [];
  for (const view of views) {
    const subject = { node: view.node, group: view.group, critical: view.critical };
    const condition: SafetyCondition | undefined = !view.up ? 'down' : view.status === 'error' ? 'error' : undefined;
    if (condition === undefined) continue;
    const unsafe = rules.some((r) => ruleMatches(r, condition, subject));
    // A non-critical node that is down is a warning everywhere else (RTS2, alerts): not a roof matter unless a rule says so.
    if (condition === 'down' && !view.critical && !unsafe) continue;
    const keys =
      condition === 'error' ? [...new Set(view.metrics.filter((m) => m.status === 'error').map((m) => m.key))] : [];
    problems.push({ node: view.node, condition, unsafe, keys });
  }
  const rank = (p: Problem) => (p.unsafe ? 0 : 2) + (p.condition === 'down' ? 0 : 1);
  problems.sort((a, b) => rank(a) - rank(b) || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const openOk = problems.some((p) => p.unsafe) ? 0 : 1;
  return { open_ok: openOk, reasons: problems.length === 0 ? noProblem(views) : describe(problems) };
}

/** `all 12 nodes ok`, or what is less than ok but no roof matter: `12 nodes: 10 ok, 1 warning, 1 down (not critical)`. */
function noProblem(views: readonly NodeView[]): string {
  if (views.length === 0) return 'no nodes known';
  let ok = 0;
  let warning = 0;
  let stale = 0;
  let down = 0;
  for (const v of views) {
    if (!v.up) down += 1;
    else if (v.status === 'warning') warning += 1;
    else if (v.status === 'stale') stale += 1;
    else ok += 1;
  }
  if (ok === views.length) return ok === 1 ? '1 node ok' : `all ${ok} nodes ok`;
  const parts = [`${ok} ok`];
  if (warning > 0) parts.push(`${warning} warning`);
  if (stale > 0) parts.push(`${stale} with stale values`);
  if (down > 0) parts.push(`${down} down (not critical)`);
  return `${views.length} ${views.length === 1 ? 'node' : 'nodes'}: ${parts.join(', ')}`;
}

/** `unsafe: dome-plc down; advisory: ccd01 error (disk), +2 more` — ASCII, at most MAX_REASONS_CHARS. */
function describe(problems: readonly Problem[]): string {
  let text = '';
  let listed = 0;
  let section: boolean | undefined;
  for (const p of problems) {
    if (listed === MAX_REASON_ITEMS) break;
    const item = `${ascii(p.node, 64)} ${p.condition}${
      p.keys.length === 0
        ? ''
        : ` (${p.keys
            .slice(0, MAX_KEYS_PER_NODE)
            .map((k) => ascii(k, 32))
            .join(', ')}${p.keys.length > MAX_KEYS_PER_NODE ? ', ...' : ''})`
    }`;
    const head = section === p.unsafe ? ', ' : `${text === '' ? '' : '; '}${p.unsafe ? 'unsafe' : 'advisory'}: `;
    const more = problems.length - listed - 1;
    // Room is kept for the "+N more" tail whenever anything could follow.
    const tail = more > 0 ? `, +${more} more`.length : 0;
    if (text.length + head.length + item.length + tail > MAX_REASONS_CHARS) break;
    text += head + item;
    section = p.unsafe;
    listed += 1;
  }
  const rest = problems.length - listed;
  if (rest > 0) text += `${text === '' ? '' : ', '}+${rest} more`;
  return text;
}

/**
 * Names come from agents (NODE_PATTERN-checked) and from peer bridges' JSON (not re-checked): keep
 * printable ASCII without the separators `reasons` uses, and bound the length.
 */
function ascii(s: unknown, max: number): string {
  const text = typeof s === 'string' ? s : String(s);
  return text.replace(/[^A-Za-z0-9_.:@/-]/g, '?').slice(0, max);
}

/**
 * Prometheus alert templates in Grafana. Grafana expands annotations with Prometheus's own template
 * engine and functions, and since 12.0 `$value` is the query's number when a rule has one datasource
 * query (grafana/grafana#102301, #106080), so most templates carry over unchanged. `query` is the
 * exception: Grafana cannot run PromQL from a template and answers it with nothing, so a
 * `{{ with … | query }}…{{ else }}…{{ end }}` block would print its else branch or a gap. Such blocks are
 * rewritten here, once, for every rule.
 */

/** A block `{{ with|if|range … query … }} … {{ end }}` with the text before and after it. */
interface QueryBlock {
  readonly start: number;
  readonly end: number;
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/gs;

/** Every outermost with/if/range block whose pipeline calls `query`, located by nesting of `{{ end }}`. */
function queryBlocks(template: string): QueryBlock[] {
  const blocks: QueryBlock[] = [];
  let depth = 0;
  let open: { start: number; depth: number } | undefined;
  for (const match of template.matchAll(ACTION)) {
    const body = match[1] ?? '';
    const index = match.index;
    if (/^(with|if|range|define|block)\b/.test(body)) {
      depth += 1;
      if (open === undefined && /\|\s*query\b|\bquery\s/.test(body)) open = { start: index, depth };
    } else if (/^end\b/.test(body)) {
      if (open !== undefined && open.depth === depth) {
        blocks.push({ start: open.start, end: index + match[0].length });
        open = undefined;
      }
      depth -= 1;
    }
  }
  if (open !== undefined) throw new Error(`unclosed {{ with … query }} block in: ${template}`);
  return blocks;
}

/**
 * What stands in for a query block, by the text around it in obsmon's summaries:
 * "(warning level: …)" becomes "(at or above its warning level)", "; last report: …" goes, other blocks go.
 */
function replace(template: string, block: QueryBlock): { start: number; end: number; text: string } {
  const before = template.slice(0, block.start);
  const after = template.slice(block.end);
  const level = /\((warning|error) level: $/.exec(before);
  if (level !== null) {
    const close = after.indexOf(')');
    if (close >= 0)
      return {
        start: block.start - level[0].length,
        end: block.end + close + 1,
        text: `(at or above its ${level[1]} level)`,
      };
  }
  const lastReport = /;\s*last report: $/.exec(before);
  if (lastReport !== null) return { start: block.start - lastReport[0].length, end: block.end, text: '' };
  return { start: block.start, end: block.end, text: '' };
}

/** The Grafana version of a Prometheus annotation template: identical unless it calls `query`. */
export function grafanaTemplate(template: string): string {
  let out = template;
  // Right to left, so earlier offsets stay valid.
  for (const block of queryBlocks(template).reverse()) {
    const r = replace(out, block);
    out = out.slice(0, r.start) + r.text + out.slice(r.end);
  }
  return out;
}

import { yamlLib } from './yaml-lib.ts';
import { readConfigFile } from '../lib/config-file.ts';
import { ConfigError } from './config-error.ts';

/** A YAML file read for validation: its data, and where in the file each value sits. */
export interface YamlSource {
  readonly path: string;
  readonly data: unknown;
  /** 1-based line of the key (or list item) at `keys`, else of its nearest ancestor that exists. */
  lineOf(keys: readonly PropertyKey[]): number | undefined;
}

// Excerpts go to logs: a line that looks like it holds a secret is shown without its value.
const SECRET_LINE = /token|secret|password|passwd|credential|key\s*:/i;
const MAX_EXCERPT = 80;

/** Read and parse a YAML file; an unreadable file or bad YAML is one ConfigError line with file, line and excerpt. */
export function readYamlSource(path: string, what: string): YamlSource {
  return parseYamlSource(readConfigFile(path, what, 'utf8'), path, what);
}

export function parseYamlSource(text: string, path: string, what: string): YamlSource {
  const { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } = yamlLib();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const error = doc.errors[0];
  if (error !== undefined) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw new ConfigError(
      `${path}:${line}:${col}: invalid YAML in the ${what}: ${error.message}${excerpt(text, line)}`,
    );
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    // e.g. too many aliases (a "billion laughs" file).
    throw new ConfigError(`${path}: invalid YAML in the ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  return {
    path,
    data,
    lineOf(keys) {
      let node: unknown = doc.contents;
      let line = isNode(node) && node.range ? lineAt(node.range[0]) : undefined;
      for (const key of keys) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
          if (pair === undefined) break;
          if (isNode(pair.key) && pair.key.range) line = lineAt(pair.key.range[0]);
          node = pair.value;
        } else if (isSeq(node) && typeof key === 'number') {
          const item = node.items[key];
          if (!isNode(item) || !item.range) break;
          line = lineAt(item.range[0]);
          node = item;
        } else {
          break;
        }
      }
      return line;
    },
  };
}

/** `; the line reads "..."` for the error's line, or the last non-blank line before it (errors at the end). */
function excerpt(text: string, line: number): string {
  const lines = text.split(/\r?\n/);
  let n = Math.min(line, lines.length);
  while (n > 1 && (lines[n - 1] ?? '').trim() === '') n -= 1;
  let shown = (lines[n - 1] ?? '').trimEnd();
  if (shown.trim() === '') return '';
  if (SECRET_LINE.test(shown)) shown = shown.replace(/:.*/, ': …');
  if (shown.length > MAX_EXCERPT) shown = `${shown.slice(0, MAX_EXCERPT - 1)}…`;
  return `; line ${n} reads ${JSON.stringify(shown)}`;
}

/** `nodes[2].critical` from a validation path. */
export function keyPath(keys: readonly PropertyKey[]): string {
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('');
}

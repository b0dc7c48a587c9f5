import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

/*
 * A newcomer follows only the README and docs/: every command shown must exist in `--help`, every
 * file or link named must exist, and every default quoted next to a flag must be the code's default.
 */
const REPO = new URL('../../../', import.meta.url).pathname;

function markdownFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'test'
        ? []
        : markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}
const DOCS = markdownFiles('.')
  .map((p) => relative('.', p))
  .sort();

function obsmon(args: string[]): string {
  const result = spawnSync('node', ['bin/obsmon.js', ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  expect(result.status, `obsmon ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

interface Help {
  readonly flags: ReadonlySet<string>;
  /** Flag → the default printed by `--help` ("default: 300; env OBSMON_…"). */
  readonly defaults: ReadonlyMap<string, string>;
}

function parseHelp(text: string): Help {
  const flags = new Set<string>(['--help', '--version', '--config']);
  const defaults = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    const flag = /^ {2}--(\[no-\])?([a-z0-9-]+)/.exec(line);
    if (flag !== null) {
      last = `--${flag[2]!}`;
      flags.add(last);
      flags.add(`--no-${last.slice(2)}`);
      continue;
    }
    const value = /^\s+default: (.*?)(?:; env |$)/.exec(line);
    if (value !== null && last !== undefined) defaults.set(last, value[1]!);
  }
  return { flags, defaults };
}

const subcommands = [...obsmon(['--help']).matchAll(/^ {2}([a-z][\w-]*) /gm)].map((m) => m[1]!);
const helps = new Map(subcommands.map((name) => [name, parseHelp(obsmon([name, '--help']))]));

/** Text inside backticks and fenced code blocks: where a doc shows what to type. */
function codeOf(markdown: string): string[] {
  const fenced = [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '');
  const inline = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return [...fenced.flatMap((block) => block.replace(/\\\n/g, ' ').split('\n')), ...inline];
}

/** `obsmon <sub> --flag …` (also `npx obsmon`, `bin/obsmon.js`), up to a shell separator or comment. */
function invocations(code: string): Array<{ sub: string; flags: string[] }> {
  return [...code.matchAll(/(?:^\s*|\$ |npx |sudo |&& |; |\/)obsmon(?:\.js)?\s+([a-z][\w-]*)([^|;&#`]*)/g)].map(
    (m) => ({
      sub: m[1]!,
      flags: [...m[2]!.matchAll(/(?:^|\s)(--[a-z0-9-]+)/g)].map((f) => f[1]!),
    }),
  );
}

const TOP_LEVEL = new Set(readdirSync(REPO).filter((name) => !name.startsWith('.') && name !== 'node_modules'));
const FILE_LIKE = /\.(ts|js|mjs|json|ya?ml|md|service|plist|cfg|py|c|sh|html|css|png|example)$/;

/** Repository paths a doc names in backticks: a file name with an extension, or a top-level folder's path. */
function namedPaths(markdown: string): string[] {
  return [...markdown.matchAll(/`([A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+\/?)`/g)]
    .map((m) => m[1]!)
    .filter((path) => FILE_LIKE.test(path) || (TOP_LEVEL.has(path.split('/')[0]!) && path.endsWith('/')))
    .filter((path) => !BUILT.some((dir) => path.startsWith(dir)));
}

/** Folders of build outputs (`npm run package`; test/integration/agent-package.test.ts builds them), not in git. */
const BUILT = ['dist/'];

describe.each(DOCS)('%s', (doc) => {
  const text = readFileSync(join(REPO, doc), 'utf8');

  test('every obsmon command shown exists, with every flag it passes', () => {
    const problems: string[] = [];
    for (const code of codeOf(text)) {
      for (const { sub, flags } of invocations(code)) {
        const help = helps.get(sub);
        if (help === undefined) {
          problems.push(`"obsmon ${sub}": no such command (obsmon --help lists ${subcommands.join(', ')})`);
          continue;
        }
        for (const flag of flags)
          if (!help.flags.has(flag))
            problems.push(`"obsmon ${sub} ${flag}": not in obsmon ${sub} --help (in: ${code.trim()})`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every relative link and every repository path named exists', () => {
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!.split('#')[0]!)
      .filter((target) => target !== '' && !/^[a-z]+:/.test(target))
      .map((target) => join(dirname(doc), decodeURIComponent(target)));
    const missing = [...links, ...namedPaths(text)].filter((path) => !existsSync(join(REPO, path)));
    expect(missing).toEqual([]);
  });

  test('no file outside the repository is cited', () => {
    expect(text).not.toMatch(/(?:\.\.\/)+shared\/|\breference\/[a-z0-9-]+\.md/);
  });

  test('every default quoted next to a flag is the default in --help', () => {
    const problems: string[] = [];
    for (const m of text.matchAll(
      /`(--[a-z0-9-]+)[^`]*`[^.;|`]{0,12}?\(default:? ([0-9][0-9 ]*(?:\.[0-9]+)?)(?: ?(KiB|MiB|GiB)\b)?/g,
    )) {
      const [, flag, quoted, unit] = m;
      const scale = unit === undefined ? 1 : 1024 ** (['KiB', 'MiB', 'GiB'].indexOf(unit) + 1);
      const value = String(Number(quoted!.replace(/ /g, '')) * scale);
      const defaults = [...helps.values()].map((h) => h.defaults.get(flag!)).filter((d) => d !== undefined);
      if (defaults.length === 0) problems.push(`${flag}: no command has it`);
      else if (!defaults.includes(value))
        problems.push(`${flag}: the doc says default ${value}, --help says ${defaults.join(' / ')}`);
    }
    expect(problems).toEqual([]);
  });
});

test('the walk covers the README and every page in docs/', () => {
  expect(DOCS).toContain('README.md');
  for (const page of readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')))
    expect(DOCS).toContain(`docs/${page}`);
});

test("the README's way to run `obsmon` from a checkout works: npx obsmon", () => {
  const result = spawnSync('npx', ['--no-install', 'obsmon', '--version'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.stdout).toMatch(/^obsmon \d+\.\d+\.\d+\n$/);
  expect(readFileSync(join(REPO, 'README.md'), 'utf8')).toContain('`npx obsmon …`');
});

test('no source file cites a note outside the repository', () => {
  const sources = (dir: string): string[] =>
    readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : sources(path);
      return /\.(ts|js|mjs|ya?ml|service|plist|cfg|py|c|sh)$/.test(entry.name) ? [path] : [];
    });
  const citing = [...TOP_LEVEL]
    .filter((name) => statSync(join(REPO, name)).isDirectory())
    .flatMap(sources)
    .filter(
      (path) =>
        path !== 'test/unit/docs/docs-walk.test.ts' &&
        /\breference(?:\/[a-z-]+\.md| §\d)|(?:\.\.\/)+shared\//.test(readFileSync(join(REPO, path), 'utf8')),
    );
  expect(citing).toEqual([]);
});

import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

/**
 * "No string from an agent, HTTP client or file ever indexes a plain object": `table[key]` on a
 * `Record<string, …>` finds `constructor`, `toString` or `__proto__` on Object.prototype (and a write
 * to `__proto__` replaces the prototype). This scan holds the whole source to it with the type
 * checker: an element access or `in` check whose object has a string index signature and whose key
 * is typed `string` (not a literal, a union of literals or a number) is an offence. Use a Map. There is
 * no allowlist: a lookup by one of our own names can take a Map as well.
 */
const ROOT = join(import.meta.dirname, '../..');
const SOURCE_DIRS = ['bin', 'cli', 'config', 'protocol', 'lib', 'exporter', 'bridge', 'rts2-sensord', 'grafana/src'];

interface Offence {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

function isStringLike(type: ts.Type): boolean {
  if (type.isUnion()) return type.types.some(isStringLike);
  if (type.isIntersection()) return type.types.some(isStringLike);
  // `string`, template literal types (`x_${string}`) and string-mapped types are open sets; literals are not.
  return (type.flags & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral | ts.TypeFlags.StringMapping)) !== 0;
}

function hasStringIndex(checker: ts.TypeChecker, type: ts.Type): boolean {
  const target = checker.getNonNullableType(type);
  // `any` (JSON.parse, untyped libraries) is a plain object as far as anyone knows.
  if ((target.flags & ts.TypeFlags.Any) !== 0) return true;
  if (target.isUnion()) return target.types.some((t) => hasStringIndex(checker, t));
  if ((target.flags & ts.TypeFlags.Object) === 0 && !target.isIntersection()) return false;
  return checker.getIndexInfoOfType(target, ts.IndexKind.String) !== undefined;
}

/** The key as written, seen through `as` casts: `obj[k as keyof typeof obj]` is still a string key. */
function keyTypes(checker: ts.TypeChecker, key: ts.Expression): ts.Type[] {
  const types = [checker.getTypeAtLocation(key)];
  let inner: ts.Expression = key;
  while (
    ts.isAsExpression(inner) ||
    ts.isTypeAssertionExpression(inner) ||
    ts.isParenthesizedExpression(inner) ||
    ts.isNonNullExpression(inner)
  ) {
    inner = inner.expression;
    types.push(checker.getTypeAtLocation(inner));
  }
  return types;
}

/** Every offence in the given program's files, with paths relative to `root`. */
function findPlainObjectIndexing(program: ts.Program, root: string, files: readonly string[]): Offence[] {
  const checker = program.getTypeChecker();
  const offences: Offence[] = [];
  for (const fileName of files) {
    const source = program.getSourceFile(fileName);
    if (source === undefined) throw new Error(`not in the program: ${fileName}`);
    const visit = (node: ts.Node): void => {
      let object: ts.Expression | undefined;
      let key: ts.Expression | undefined;
      if (ts.isElementAccessExpression(node)) {
        object = node.expression;
        key = node.argumentExpression;
      } else if (
        ts.isBinaryExpression(node) &&
        node.operatorToken.kind === ts.SyntaxKind.InKeyword &&
        !ts.isPrivateIdentifier(node.left)
      ) {
        object = node.right;
        key = node.left;
      }
      if (object !== undefined && key !== undefined) {
        const objectType = checker.getTypeAtLocation(object);
        // An `in` check on any object, not only an indexed one, finds prototype members.
        const plain = ts.isElementAccessExpression(node)
          ? hasStringIndex(checker, objectType)
          : (checker.getNonNullableType(objectType).flags & ts.TypeFlags.Object) !== 0 ||
            hasStringIndex(checker, objectType);
        if (plain && keyTypes(checker, key).some(isStringLike)) {
          const text = node.getText(source).replace(/\s+/g, ' ');
          offences.push({
            file: relative(root, fileName),
            line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
            text,
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return offences;
}

function projectProgram(): { program: ts.Program; files: string[] } {
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const files = parsed.fileNames.filter((f) => {
    const path = relative(ROOT, f);
    return SOURCE_DIRS.some((d) => path.startsWith(`${d}/`)) && !path.endsWith('.d.ts');
  });
  return { program: ts.createProgram({ rootNames: files, options: parsed.options }), files };
}

function snippetProgram(code: string): { program: ts.Program; files: string[] } {
  const fileName = join(ROOT, '__snippet__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => (f === fileName ? code : readFile(f));
  host.fileExists = (f) => f === fileName || ts.sys.fileExists(f);
  host.getSourceFile = (f, language) =>
    f === fileName ? ts.createSourceFile(f, code, language, true) : getSourceFile(f, language);
  return { program: ts.createProgram({ rootNames: [fileName], options, host }), files: [fileName] };
}

const offencesIn = (code: string) => {
  const { program, files } = snippetProgram(code);
  return findPlainObjectIndexing(program, ROOT, files).map((o) => o.text);
};

describe('no string-typed key indexes a plain object', () => {
  test('the scan catches the thresholds bug and its variants, and lets safe accesses pass', () => {
    expect(
      offencesIn(`
        type Levels = { warning: number; error: number };
        const defaults: Record<string, Levels> = { disk: { warning: 80, error: 90 } };
        export function levels(key: string): Levels | undefined { return defaults[key]; }
        export function known(key: string): boolean { return key in defaults; }
        export function write(table: { [k: string]: number }, key: \`x_\${string}\`): void { table[key] = 1; }
        export function cast(key: string) { return defaults[key as 'disk']; }
        export function maybe(table: Record<string, number> | undefined, key: string) { return table?.[key]; }
        export function parsed(text: string, key: string) { return JSON.parse(text)[key]; }
      `),
    ).toEqual([
      'defaults[key]',
      'key in defaults',
      'table[key]',
      "defaults[key as 'disk']",
      'table?.[key]',
      'JSON.parse(text)[key]',
    ]);
    expect(
      offencesIn(`
        const rank: Record<'ok' | 'error', number> = { ok: 0, error: 1 };
        const byName = new Map<string, number>();
        const table: Record<string, number> = {};
        export function safe(status: 'ok' | 'error', list: number[], i: number, key: string, text: string) {
          return [rank[status], list[i], table['literal'], byName.get(key), text[i], 'literal' in table];
        }
      `),
    ).toEqual([]);
  });

  test(
    'bridge, exporter, rts2-sensord, grafana generator, protocol, config, lib and cli are clean',
    { timeout: 120_000 },
    () => {
      const { program, files } = projectProgram();
      expect(files.length).toBeGreaterThan(100);
      const offences = findPlainObjectIndexing(program, ROOT, files).map((o) => `${o.file}:${o.line}: ${o.text}`);
      expect(offences).toEqual([]);
    },
  );
});

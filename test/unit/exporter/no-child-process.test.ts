import { readFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { Collection } from '../../../exporter/collection.ts';
import { COLLECTORS } from '../../../exporter/collectors/index.ts';
import { ProcfsSource } from '../../../exporter/sources/procfs.ts';
import { silentLogger } from '../../../lib/logger.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FORBIDDEN = /^(node:)?child_process$|^systeminformation$/;
const STATIC_IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

/** Every module reachable by static imports from `entry`, with the specifiers each one imports. */
function staticGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pending = [resolve(ROOT, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (graph.has(file)) continue;
    const specifiers = [...readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)].map((m) => (m[1] ?? m[2])!);
    graph.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith('.')) pending.push(resolve(dirname(file), s));
  }
  return graph;
}

describe('the Linux agent spawns no child process', () => {
  test.each(['exporter/agent.ts', 'cli/exporter.ts'])(
    'no module statically imported from %s imports child_process or systeminformation',
    (entry) => {
      const offenders = [...staticGraph(entry)].flatMap(([file, specifiers]) =>
        specifiers.filter((s) => FORBIDDEN.test(s)).map((s) => `${relative(ROOT, file)} -> ${s}`),
      );
      expect(offenders).toEqual([]);
      expect([...staticGraph(entry).keys()].map((f) => relative(ROOT, f))).not.toContain('exporter/sources/si.ts');
    },
  );

  test('the import scan finds systeminformation in si.ts (the check above can fail)', () => {
    expect(staticGraph('exporter/sources/si.ts').get(resolve(ROOT, 'exporter/sources/si.ts'))).toContain(
      'systeminformation',
    );
  });

  describe.runIf(process.platform === 'linux')('at run time', () => {
    const childProcess = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    // ChildProcess#spawn is internal (absent from @types/node) but present on every Node version since 0.x.
    const proto = childProcess.ChildProcess.prototype as unknown as { spawn(options: { file?: string }): unknown };
    const originalSpawn = proto.spawn;
    const originalSpawnSync = childProcess.spawnSync;
    let spawned: string[] = [];

    // Every asynchronous spawn (spawn, exec, execFile, fork) goes through ChildProcess#spawn, however the caller
    // captured its reference; the sync family shares spawnSync.
    function watchSpawns(): void {
      spawned = [];
      proto.spawn = function (this: unknown, options: { file?: string }) {
        spawned.push(options.file ?? '?');
        return originalSpawn.call(this, options);
      };
      childProcess.spawnSync = ((file: string, ...rest: never[]) => {
        spawned.push(file);
        return originalSpawnSync(file, ...rest);
      }) as typeof childProcess.spawnSync;
      syncBuiltinESMExports();
    }

    afterEach(() => {
      proto.spawn = originalSpawn;
      childProcess.spawnSync = originalSpawnSync;
      syncBuiltinESMExports();
    });

    test('three cycles of every collector on procfs start no process', async () => {
      watchSpawns();
      const collection = new Collection(
        new ProcfsSource({ mounts: 'auto' }),
        COLLECTORS,
        { interfaces: 'auto', now: () => performance.now(), processes: ['node', 'no-such-daemon'] },
        silentLogger,
      );
      for (let i = 0; i < 3; i += 1) expect((await collection.collect()).length).toBeGreaterThan(0);
      expect(spawned).toEqual([]);
    });

    test('the same watch sees the processes systeminformation starts', async () => {
      watchSpawns();
      const si = await import('systeminformation');
      await si.fsSize();
      expect(spawned.length).toBeGreaterThan(0);
    });
  });
});

/**
 * The flags for node itself that obsmon runs with, wherever it is started (one home;
 * test/unit/deploy/node-flags.test.ts checks that each launcher carries exactly these).
 *
 * They must be on node's command line: V8 sizes its heap when the process starts, and
 * `v8.setFlagsFromString` at run time no longer changes it. So each launcher writes them out, and the
 * bench and testkit start bin/obsmon.js with them, so that they measure obsmon as it is deployed.
 * Measured in docs/benchmarks.md ("Profiling notes": RSS and CPU with and without each).
 */

/**
 * Every obsmon process: bin/obsmon.js's shebang (`env -S`; npm's bin links run it, its Windows shims
 * copy it), the bridge's systemd unit, the Dockerfile's ENTRYPOINT, `npm start` / `npm run demo`.
 *
 * `--max-semi-space-size=4` (MB): V8's young generation otherwise grows to two semi-spaces of 16 MB
 * (32 MB of new space measured in the bridge at 10 000 nodes) under allocation churn. 4 MB kept most of
 * the RSS that 1 MB saved (10 000 nodes: 198–207 MB, 1 MB 192–198, default 219–228) without 1 MB's cost
 * under a flood (more scavenges, more promoted objects: 181–239k reports/s against 281–306k with 4 MB and
 * 283–313k without, alternated on a quiet machine; docs/benchmarks.md, profiling notes).
 */
const SEMI_SPACE = '--max-semi-space-size=4';

/**
 * `--v8-pool-size=1`: V8's platform worker threads (concurrent marking and sweeping, background
 * compiles) are one instead of one per core; each idle one holds its stack and allocator arenas.
 * The bridge at 100 nodes: 63.0 MB RSS against 66.7 (2 cores, load 1.7). Nothing of obsmon's uses
 * worker_threads (those are not from this pool anyway); libuv's pool (fs, dns, zlib) is another one.
 * Not in the agent's flags: measured there it changed nothing (51.6 against 51.9 MB, --jitless).
 */
const V8_POOL = '--v8-pool-size=1';

export const NODE_FLAGS: readonly string[] = [SEMI_SPACE, V8_POOL];

/**
 * The agent (`obsmon exporter`) where a launcher starts only it: its systemd unit, the Debian
 * package's wrapper, the macOS plist, the Windows service, the agent bundle's shebang and the
 * compose file's exporter service.
 *
 * `--jitless`: the agent's code runs once per cycle and stays cold, so V8's optimising compilers
 * cost it memory and compile threads without making a cycle faster (interpreted it took no more CPU
 * per cycle, and about 5 MB less RSS). It also turns off WebAssembly (the agent uses none; global
 * `fetch` needs it, node:http does not): `--no-expose-wasm` says so, which keeps V8 from warning
 * about the conflict at every start.
 */
export const AGENT_NODE_FLAGS: readonly string[] = [SEMI_SPACE, '--jitless', '--no-expose-wasm'];

/** A list of flags as it appears on a command line (one space apart). */
export const flagsText = (flags: readonly string[]): string => flags.join(' ');

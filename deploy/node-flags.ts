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
 * `--max-semi-space-size=2` (MB): V8's young generation otherwise grows to two semi-spaces of 16 MB
 * (32 MB of new space measured in the bridge at 10 000 nodes) under allocation churn. 4 MB took the
 * bridge at 10 000 nodes from 219–228 MB to 198–207; 2 MB, alternated with 4 on 2026-12-03 with the
 * node table in typed blocks, 142.7 and 148.1 MB against 153.8 and 152.0 (CPU 4.64 and 4.24 % against
 * 5.22 and 4.64), and under a full flood 148.6 MB against 157 MB for a rate within 3 % (451–489k
 * reports/s against 473–502k) and the same /metrics answer during it. 1 MB cost a quarter of the flood
 * rate (more scavenges, more promoted objects; docs/benchmarks.md, profiling notes).
 */
const SEMI_SPACE = '--max-semi-space-size=2';

/**
 * The agent keeps 4 MB, as measured for it (bench/agent-cost.ts): it allocates little per cycle, and a
 * smaller nursery there was not measured.
 */
const AGENT_SEMI_SPACE = '--max-semi-space-size=4';

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
export const AGENT_NODE_FLAGS: readonly string[] = [AGENT_SEMI_SPACE, '--jitless', '--no-expose-wasm'];

/** A list of flags as it appears on a command line (one space apart). */
export const flagsText = (flags: readonly string[]): string => flags.join(' ');

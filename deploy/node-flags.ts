/**
 * The flags for node itself that every obsmon process runs with: the bridge, the agent and every
 * other subcommand, wherever it is started (one home; test/unit/deploy/node-flags.test.ts checks that
 * each launcher carries exactly these).
 *
 * They must be on node's command line: V8 sizes its heap when the process starts, and
 * `v8.setFlagsFromString` at run time no longer changes it. So each launcher writes them out:
 * bin/obsmon.js's shebang (`env -S`; npm's bin shims copy it), the systemd units' ExecStart, the
 * Dockerfile's ENTRYPOINT, the macOS plist, `npm start` / `npm run demo`; the Debian package's
 * wrapper, the Windows service XML and the agent bundle's shebang are generated from this list, and
 * the bench and testkit start bin/obsmon.js with it, so they measure obsmon as it is deployed.
 *
 * `--max-semi-space-size=1` (MB): V8's young generation otherwise grows to 16 MB per semi-space
 * (three of them: 33 MB resident here) under the bridge's allocation churn; at 1 MB it stays at about
 * 3 MB. Measured in docs/benchmarks.md ("Profiling notes": RSS and CPU at 1, 2, 4 and 8 MB).
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** The flags as they appear on a command line (one space apart). */
export const NODE_FLAGS_TEXT = NODE_FLAGS.join(' ');

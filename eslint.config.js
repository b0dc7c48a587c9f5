// Lint rules the reviews used to keep by hand. Typed rules need the TypeScript project (tsconfig.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltinsWithEffects = [
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:tls',
  'node:http',
  'node:https',
  'node:child_process',
  'node:dgram',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'test-artifacts/',
      '.ci/vitest.json',
      'grafana/dashboards/',
      'grafana/provisioning/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', '.ci/*.mjs', 'bin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Input is hostile: a computed `delete` on a plain object is how prototype pollution starts; use a Map.
      '@typescript-eslint/no-dynamic-delete': 'error',
      'no-prototype-builtins': 'error',
      // A closure may read a variable that is assigned once, later (a server created before its handler's owner).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Hostile input is exactly control characters: the code matches them on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Schemas import zod through config/zod.ts (zod/mini, English messages): one import of classic 'zod'
    // would put all of it (~300 KB of source) back into every process that loads that chunk.
    files: ['**/*.ts'],
    ignores: ['config/zod.ts', 'test/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportDeclaration[source.value=/^zod(\\u002F|$)/]',
          message: "Import zod from config/zod.ts (zod/mini), not from 'zod'.",
        },
      ],
    },
  },
  {
    // The wire format is pure: no I/O, and nothing from the components that use it.
    files: ['protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltinsWithEffects,
          patterns: ['**/bridge/**', '**/exporter/**', '**/rts2-sensord/**', '**/grafana/**'],
        },
      ],
    },
  },
  // rts2-sensord and the Grafana generator are clients of the bridge: they reach only the shared modules
  // (protocol/, lib/, config/), never the bridge's or the exporter's internals. Matched by depth, so
  // rts2-sensord's own bridge client (rts2-sensord/bridge/) stays reachable.
  ...[
    [['rts2-sensord/*.ts'], 1],
    [['rts2-sensord/*/*.ts', 'grafana/src/*.ts'], 2],
    [['grafana/src/*/*.ts'], 3],
  ].map(([files, depth]) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./){${depth}}(bridge|exporter)/`,
              message: 'rts2-sensord/ and grafana/ import only shared modules: protocol/, lib/, config/.',
            },
          ],
        },
      ],
    },
  })),
  {
    // A collector reads the OS; a process per cycle costs more than the report (long-lived children live in sources/).
    files: ['exporter/collectors/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['node:child_process', 'child_process'] }] },
  },
  {
    // The bench and the kit it shares with the tests (testkit/) never reach into test/: what both use lives in testkit/.
    files: ['bench/**/*.ts', 'testkit/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/test/**'] }] },
  },
  {
    // The page's declarations belong to its own project (tsconfig.page.json, run by `npm run check`).
    files: ['bridge/page-types/*.d.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The page runs in the browser with its own globals.
    files: ['bridge/page/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        location: 'readonly',
        history: 'readonly',
        uPlot: 'readonly',
        performance: 'readonly',
        URLSearchParams: 'readonly',
        getComputedStyle: 'readonly',
        requestAnimationFrame: 'readonly',
        navigator: 'readonly',
        localStorage: 'readonly',
        HTMLElement: 'readonly',
      },
    },
  },
);

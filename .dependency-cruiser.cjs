/* global module */
/**
 * The layering of `src/`, checked by `npm run lint` (dependency-cruiser).
 *
 *   core          shared vocabulary (clock, errors, events, telemetry stream, states, validation,
 *                 policy interface); imports nothing else of the package.
 *   breaker       the circuit breaker; imports only core.
 *   policies      the companion policies; import only core.
 *   registry      breakers by key; imports core and breaker.
 *   index.ts      the public surface: what `breakwater` exports.
 *   integrations  fetch, prometheus, otel, dashboard, redis, chaos, testing, and telemetry (the
 *                 aggregation the exporters and the dashboard share): import only the public
 *                 surface (src/index.ts), core, telemetry and their own folder. One exception:
 *                 redis implements the fleet protocol, src/breaker/fleet.ts, which is public API
 *                 (the `Fleet` option) but not all of it exported by name.
 *   demo, cli     leaves: nothing imports them.
 *
 * Type-only imports count like any other. No cycles anywhere.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Modules of src/ form no import cycle.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-a-leaf',
      comment: 'src/core imports nothing of the package outside src/core.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'breaker-uses-only-core',
      comment: 'src/breaker imports only src/core (and itself).',
      severity: 'error',
      from: { path: '^src/breaker/' },
      to: { path: '^src/', pathNot: ['^src/breaker/', '^src/core/'] },
    },
    {
      name: 'policies-use-only-core',
      comment: 'src/policies imports only src/core (and itself).',
      severity: 'error',
      from: { path: '^src/policies/' },
      to: { path: '^src/', pathNot: ['^src/policies/', '^src/core/'] },
    },
    {
      name: 'registry-uses-breaker-and-core',
      comment: 'src/registry imports only src/breaker and src/core (and itself).',
      severity: 'error',
      from: { path: '^src/registry/' },
      to: { path: '^src/', pathNot: ['^src/registry/', '^src/breaker/', '^src/core/'] },
    },
    {
      name: 'integrations-use-the-public-surface',
      comment: 'Integrations import src/index.ts, src/core, src/telemetry and their own folder.',
      severity: 'error',
      from: { path: '^src/(fetch|prometheus|otel|dashboard|chaos|testing|telemetry)/' },
      to: { path: '^src/', pathNot: ['^src/$1/', '^src/index\\.ts$', '^src/core/', '^src/telemetry/'] },
    },
    {
      name: 'redis-uses-the-public-surface-and-the-fleet-protocol',
      comment: 'src/redis imports what integrations may, and the fleet protocol it implements.',
      severity: 'error',
      from: { path: '^src/redis/' },
      to: {
        path: '^src/',
        pathNot: [
          '^src/redis/',
          '^src/index\\.ts$',
          '^src/core/',
          '^src/telemetry/',
          '^src/breaker/fleet\\.ts$',
        ],
      },
    },
    {
      name: 'demo-and-cli-are-leaves',
      comment: 'Nothing outside src/demo and src/cli imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(demo|cli)/' },
      to: { path: '^src/(demo|cli)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};

import { defineConfig } from 'tsdown';

const common = { dts: true, platform: 'node', target: 'node20', sourcemap: false } as const;

export default defineConfig([
  {
    ...common,
    entry: {
      index: 'src/index.ts',
      'testing/index': 'src/testing/index.ts',
      'fetch/index': 'src/fetch/index.ts',
      'prometheus/index': 'src/prometheus/index.ts',
      'otel/index': 'src/otel/index.ts',
      'dashboard/index': 'src/dashboard/index.ts',
      'chaos/index': 'src/chaos/index.ts',
      'redis/index': 'src/redis/index.ts',
    },
    format: ['esm', 'cjs'],
    clean: true,
  },
  {
    ...common,
    entry: { 'cli/bin': 'src/cli/bin.ts', 'cli/demo-service': 'src/demo/service.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
  },
]);

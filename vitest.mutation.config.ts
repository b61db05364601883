// Vitest for Stryker (stryker.config.mjs): the fast unit tests of the folders under mutation.
// Long integration tests (full-test-set accuracy, whole sweeps, worker pools) stay in `npm test`
// only: each mutant would otherwise rerun them.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src/core/hw/**/*.test.ts',
      'src/core/graph/**/*.test.ts',
      'src/core/quant/**/*.test.ts',
      'src/core/prune/**/*.test.ts',
      'src/core/sensitivity/**/*.test.ts',
      'src/core/train/**/*.test.ts',
    ],
    exclude: ['**/*.slow.test.ts', 'src/core/sensitivity/{sensitivity,pool,split}.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

// Vitest for Stryker (stryker.config.mjs): the fast unit tests of the folders under mutation.
// A folder's mutants are tested by that folder's own tests (MUTATION_SCOPE, inherited from the
// Stryker run): a formula must be pinned where it lives, not only by a test elsewhere that
// happens to pass through it, and it keeps each run short. Long integration tests (full-test-set
// accuracy, whole sweeps, worker pools, autoFold searches) stay in `npm test` only.
import { defineConfig } from 'vitest/config';

const FOLDERS = ['hw', 'graph', 'quant', 'prune', 'sensitivity', 'train'];
const scopes = (process.env.MUTATION_SCOPE ?? '').split(',').filter(Boolean);

export default defineConfig({
  test: {
    include: (scopes.length ? scopes : FOLDERS).map((f) => `src/core/${f}/**/*.test.ts`),
    // hw/baseline.test.ts compares 60 whole estimates (autoFold searches, UltraFace) with the values the
    // code itself gave before the engine refactor: a change detector, not an independent expectation,
    // and 41 s of the folder's 46 s (every surviving hw mutant paid it). `npm test` runs it.
    // hw/mobilenet-v1.test.ts generates MobileNet-v1 with PyTorch in its beforeAll: a Python start
    // (5-15 s at load ~25) for every mutant run that includes it, which also made mutants time out.
    exclude: ['**/*.slow.test.ts', 'src/core/sensitivity/{sensitivity,pool,split}.test.ts', 'src/core/hw/baseline.test.ts', 'src/core/hw/mobilenet-v1.test.ts'],
    environment: 'node',
    setupFiles: ['test/mutation-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

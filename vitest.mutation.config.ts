// Vitest for Stryker (stryker.config.mjs): the fast unit tests of the folders under mutation.
// A folder's mutants are tested by that folder's own tests (MUTATION_SCOPE, inherited from the
// Stryker run): a formula must be pinned where it lives, not only by a test elsewhere that
// happens to pass through it, and it keeps each run short. Long integration tests (full-test-set
// accuracy, whole sweeps, worker pools, autoFold searches) stay in `npm test` only.
import { defineConfig } from 'vitest/config';

const FOLDERS = ['hw', 'graph', 'quant', 'prune', 'sensitivity', 'train'];
// A part-of-a-folder scope (stryker.config.mjs, e.g. `prune-groups`) runs its folder's tests.
const scopes = (process.env.MUTATION_SCOPE ?? '').split(',').filter(Boolean).map((s) => s.split('-')[0]);

export default defineConfig({
  test: {
    include: (scopes.length ? scopes : FOLDERS).map((f) => `src/core/${f}/**/*.test.ts`),
    exclude: ['**/*.slow.test.ts', 'src/core/sensitivity/{sensitivity,pool,split}.test.ts'],
    environment: 'node',
    setupFiles: ['test/mutation-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

// Vitest for Stryker (stryker.config.mjs): the fast unit tests of the folders under mutation.
// A folder's mutants are tested by that folder's own tests (MUTATION_SCOPE, inherited from the
// Stryker run): a formula must be pinned where it lives, not only by a test elsewhere that
// happens to pass through it, and it keeps each run short. Long integration tests (full-test-set
// accuracy, whole sweeps, worker pools, autoFold searches) stay in `npm test` only.
import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Stryker stops a mutant's run at its first failing test (bail), so files run failed-first as
 * usual but then shortest-first (Vitest runs the longest first): a mutant that a fast exact-value
 * test kills no longer waits for the onnxruntime-heavy files.
 */
class ShortestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const state = (f: TestSpecification) => cache.getFileTestResults(`${f.project.name}:${relative(this.ctx.config.root, f.moduleId)}`);
    return [...files].sort((a, b) => {
      const [sa, sb] = [state(a), state(b)];
      if (!sa || !sb) return sa ? 1 : sb ? -1 : 0; // unknown first
      if (sa.failed !== sb.failed) return sa.failed ? -1 : 1;
      return sa.duration - sb.duration;
    });
  }
}

const FOLDERS = ['hw', 'graph', 'quant', 'prune', 'sensitivity', 'train'];
// A part-of-a-folder scope (stryker.config.mjs, e.g. `prune-groups`) runs its folder's tests.
const scopes = (process.env.MUTATION_SCOPE ?? '').split(',').filter(Boolean).map((s) => s.split('-')[0]);

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
    sequence: { sequencer: ShortestFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

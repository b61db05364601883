import { describe, expect, it } from 'vitest';
import { CASE_LIMIT_MS, peakRssBytes, runFuzz, seedModels } from './harness.ts';

/**
 * The CI fuzz run: seeded and bounded (about 1,300 cases, well under 2 minutes on 2 cores).
 * Every mutated model, dataset and config must be accepted with sane numbers or refused with
 * the project's bad-input error; a raw exception, a case over 2 s or a peak RSS over 1 GB fails.
 * The long run (>= 20,000 cases) is `node --import tsx tools/fuzz.ts`; counts in docs/limits.md.
 */
const PEAK_RSS_LIMIT = 2 ** 30;

describe('fuzz: untrusted models, datasets and configs', () => {
  const models = seedModels();
  if (models.length < 3) console.warn(`[edgefold fuzz] third-party fixtures not found; fuzzing ${models.map((m) => m.name).join(', ')} only`);

  it('refuses or accepts every mutation cleanly, each within 2 s, under 1 GB', { timeout: 240_000 }, async () => {
    const stats = await runFuzz({ seed: 20261203, modelCases: 300 * models.length, datasetCases: 200, configCases: 200 });
    const failures = stats.failures.map((f) => `${f.target} seed ${f.seed} (${f.kind}): ${f.error}`);
    expect(failures).toEqual([]);
    expect(stats.cases).toBe(300 * models.length + 400);
    // The mutations must exercise both paths, or the run proves little.
    for (const [target, counts] of Object.entries(stats.byTarget)) {
      expect(counts.refused, `${target}: no case was refused`).toBeGreaterThan(0);
      expect(counts.accepted, `${target}: no case was accepted`).toBeGreaterThan(0);
    }
    expect(stats.slowestMs).toBeLessThan(CASE_LIMIT_MS);
    expect(peakRssBytes()).toBeLessThan(PEAK_RSS_LIMIT);
  });
});

/**
 * The engine-contract refactor (issue 17) must not move a number: every scenario of
 * test/hw-scenarios.ts (default model, third-party fixtures, hand-built networks; five devices,
 * bit widths, styles, requantisers) gives the folding, headline numbers, per-layer costs and
 * whole-estimate digest that main computed before the refactor (commit in the JSON).
 * Regenerate only on purpose: node --import tsx tools/hw-baseline.ts
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { thirdPartySkipReason, defaultModelMissing } from '../../../test/fixtures.ts';
import { decodeNumbers, digestEstimate, hwScenarios, runScenario, scenarioModels } from '../../../test/hw-scenarios.ts';

const baseline = JSON.parse(readFileSync(resolve(import.meta.dirname, 'testdata/estimate-baseline.json'), 'utf8'), decodeNumbers) as {
  commit: string;
  results: Record<string, ReturnType<typeof digestEstimate> & { folding: unknown }>;
};
const models = scenarioModels();

describe(`estimates equal the baseline computed at ${baseline.commit.slice(0, 9)}`, () => {
  it('covers the default model and both third-party fixtures', () => {
    expect(Object.keys(baseline.results).filter((id) => /^(default|kws|ultraface)\//.test(id))).toHaveLength(30);
  });

  for (const s of hwScenarios()) {
    const layers = models[s.model];
    const why = s.model === 'default' && defaultModelMissing ? 'default model not found' : thirdPartySkipReason;
    it.skipIf(!layers)(`${s.id}${layers ? '' : ` (skipped: ${why})`}`, () => {
      const expected = baseline.results[s.id];
      expect(expected, `scenario ${s.id} is missing from the baseline`).toBeDefined();
      const { folding, estimate } = runScenario(s, layers!);
      expect(folding).toEqual(expected.folding);
      const got = digestEstimate(estimate);
      expect(got.headline).toEqual(expected.headline);
      expect(got.layers).toEqual(expected.layers);
      expect(got.sha256).toBe(expected.sha256);
    });
  }
});

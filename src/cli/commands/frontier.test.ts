/**
 * `edgefold frontier`: the CLI side of the joint search (the search itself is tested in
 * src/core/design/frontier.test.ts). A real sweep of one group and one layer, then a one-step
 * search per target measured with onnxruntime-node; and refused input, by field.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, defaultModelMissing } from '../../../test/fixtures.ts';
import { main } from '../main.ts';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') });
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'edgefold-frontier-'));

describe.skipIf(defaultModelMissing)('edgefold frontier', () => {
  it('refuses a missing sweep, missing targets and a bad kind, by field', async () => {
    expect(await run(['frontier', DEFAULT_MODEL, '--targets', '1'])).toMatchObject({ code: 2, err: expect.stringContaining('--sweep') });
    expect(await run(['frontier', DEFAULT_MODEL, '--sweep', 'x.json'])).toMatchObject({ code: 2, err: expect.stringContaining('--targets') });
    expect(await run(['frontier', DEFAULT_MODEL, '--sweep', 'x.json', '--targets', '1', '--kind', 'fastest'])).toMatchObject({ code: 2, err: expect.stringContaining('--kind') });
    expect(await run(['frontier', DEFAULT_MODEL, '--sweep', 'x.json', '--targets', '1,-2'])).toMatchObject({ code: 2, err: expect.stringContaining('--targets') });
  });

  it('searches two targets from a real sweep and reports measured points as JSON', async () => {
    const sweep = join(tmp, 'sweep.json');
    const s = await run(['sensitivity', DEFAULT_MODEL, '--prune', '0.25,0.5', '--groups', '/blocks/blocks.4/pw/conv/Conv,/blocks/blocks.2/pw/conv/Conv', '--bits', '8,4', '--layers', '/blocks/blocks.5/pw/conv/Conv', '--limit', '100', '--engine', 'native', '--no-cache', '-q', '-o', sweep]);
    expect(s.code, s.err).toBe(0);
    const r = await run(['frontier', DEFAULT_MODEL, '--sweep', sweep, '--targets', '0.5,10', '--steps', '2', '--limit', '200', '--engine', 'native', '--json']);
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.baseline).toMatchObject({ n: 200, provenance: 'measured' });
    expect(json.points).toHaveLength(2);
    for (const p of json.points) {
      expect(p.measured.n).toBe(200);
      expect(p.provenance.top1).toBe('measured');
      if (p.met) expect(json.baseline.top1 - p.measured.top1).toBeLessThanOrEqual(p.target.maxDropPp / 100 + 1e-12);
    }
    // A looser bound allows at least as much compression: fewer MACs or the same.
    expect(json.points[1].macs).toBeLessThanOrEqual(json.points[0].macs);
    expect(json.measurements).toBeGreaterThanOrEqual(1);
    expect(json.measurements).toBeLessThanOrEqual(4);
  }, 240_000);
});

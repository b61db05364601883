import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

const tmp = mkdtempSync(join(tmpdir(), 'edgefold-retrain-'));
const config = join(tmp, 'p25.json');
writeFileSync(config, JSON.stringify({ version: 1, prune: { ratio: 0.25 } }));

describe.skipIf(defaultModelMissing)('edgefold retrain', () => {
  it('bad input exits 2 with a message and writes nothing', async () => {
    const out = join(tmp, 'never.onnx');
    for (const [args, message] of [
      [['retrain', DEFAULT_MODEL, '-o', out], /--config/],
      [['retrain', DEFAULT_MODEL, '--config', config], /-o/],
      [['retrain', DEFAULT_MODEL, '--config', config, '-o', out, '--optimizer', 'adam'], /--optimizer must be one of adamw, sgd/],
      [['retrain', DEFAULT_MODEL, '--config', config, '-o', out, '--kd', '2'], /--kd \(weight\)/],
      [['retrain', DEFAULT_MODEL, '--config', config, '-o', out, '--epochs', '0'], /--epochs 0 trains nothing: add --reconstruct/],
      [['retrain', DEFAULT_MODEL, '--config', config, '-o', out, '--epochs=-1'], /--epochs must be an integer >= 0/],
      [['retrain', DEFAULT_MODEL, '--config', config, '-o', out, '--qat'], /needs a "quant" section/],
      [['retrain', DEFAULT_MODEL, '--config', config, '-o', out, '--split', 'train'], /same split/],
    ] as const) {
      const r = await run([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
    }
    expect(() => readFileSync(out)).toThrow();
  });

  it('same seed and engine give the same weights (native, 2 threads); --json reports recipe, data and accuracy', async () => {
    const args = (o: string) => ['retrain', DEFAULT_MODEL, '--config', config, '-o', o, '--epochs', '1', '--train-limit', '384', '--batch', '64', '--limit', '300', '--seed', '9', '--json'];
    const a = await run(args(join(tmp, 'a.onnx')));
    expect(a.code, a.err).toBe(0);
    const json = JSON.parse(a.out);
    expect(json.recipe).toMatchObject({ epochs: 1, batchSize: 64, seed: 9, optimizer: 'adamw', kd: { weight: 0.7, temperature: 4 } });
    expect(json.data.train).toEqual({ dataset: 'Fashion-MNIST', split: 'train', images: 384 });
    expect(json.accuracy.after.n).toBe(300);
    expect(json.accuracy.after.top1).toBeGreaterThan(json.accuracy.before.top1);
    expect(a.err).toMatch(/left/);
    const b = await run(args(join(tmp, 'b.onnx')));
    expect(JSON.parse(b.out).sha256).toBe(json.sha256);
    expect(readFileSync(join(tmp, 'a.onnx'))).toEqual(readFileSync(join(tmp, 'b.onnx')));
  }, 120_000);
});

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, defaultModelMissing } from '../../../test/fixtures.ts';
import { loadModel } from '../../core/graph/index.ts';
import { encodeModel } from '../../core/onnx/model.ts';
import { residualModel } from '../../core/prune/testing.ts';
import { main } from '../main.ts';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') });
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'edgefold-apply-'));
const residual = join(tmp, 'residual.onnx');
writeFileSync(residual, encodeModel(residualModel()));
const writeConfig = (name: string, config: unknown) => {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
};

describe('edgefold groups', () => {
  it('--json lists every group with members, sizes and reasons', async () => {
    const { code, out } = await run(['groups', residual, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.groups.map((g: { id: string; channels: number; prunable: boolean }) => [g.id, g.channels, g.prunable])).toEqual([
      ['x', 3, false],
      ['stem', 8, true],
      ['left', 6, true],
      ['right', 6, true],
      ['mix', 16, true],
      ['fc', 10, false],
    ]);
    expect(json.groups[1].producers).toEqual(['stem', 'pw']);
    expect(json.groups[3].members.find((m: { role: string }) => m.role === 'conv-in')).toMatchObject({ node: 'mix', offset: 6 });
  });

  it('prints a table and the reasons a group cannot be pruned', async () => {
    const { code, out } = await run(['groups', residual]);
    expect(code).toBe(0);
    expect(out).toMatch(/6 channel groups, 4 prunable \(36 prunable channels\)/);
    expect(out).toMatch(/stem\s+8\s+yes\s+conv-out: stem; batchnorm: stem.bn; depthwise: dw/);
    expect(out).toMatch(/fc \(10\): it reaches the graph output "y"/);
  });
});

describe('edgefold apply', () => {
  it('rejects bad configs with exit 2, a message naming the field, and writes nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [{ version: 1, layers: { nope: { prune: { ratio: 0.5 } } } }, /layers\.nope: the model has no layer "nope"/],
      [{ version: 1, prune: { ratio: 1.5 } }, /prune\.ratio must be a number from 0 up to/],
      [{ version: 1, quant: { weightBits: 1 } }, /quant\.weightBits must be an integer from 2 to 16/],
      [{ version: 1, quant: { activationBits: 17 } }, /quant\.activationBits must be an integer from 2 to 16/],
      [{ version: 1, layers: { mix: { prune: { keep: 0 } } } }, /layers\.mix\.prune\.keep must be an integer of at least 1 \(a pruning cannot leave a channel group empty\)/],
      [{ version: 1, layers: { fc: { prune: { ratio: 0.5 } } } }, /layers\.fc\.prune: the output channels of "fc" cannot be pruned/],
    ];
    for (const [i, [config, message]] of cases.entries()) {
      const output = join(tmp, `bad-${i}.onnx`);
      const { code, err, out } = await run(['apply', residual, '--config', writeConfig(`bad-${i}.json`, config), '-o', output]);
      expect(code, JSON.stringify(config)).toBe(2);
      expect(err).toMatch(message);
      expect(err).not.toMatch(/\n\s+at /);
      expect(out).toBe('');
      expect(existsSync(output)).toBe(false);
    }
    const missing = await run(['apply', residual, '-o', join(tmp, 'x.onnx')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--config <cfg.json> is required/);
  });

  it('writes the pruned model and a JSON report whose counts match the file', async () => {
    const output = join(tmp, 'pruned.onnx');
    const { code, out } = await run(['apply', residual, '--config', writeConfig('ok.json', { version: 1, prune: { ratio: 0.5 }, quant: { weightBits: 6 } }), '-o', output, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    const written = loadModel(new Uint8Array(readFileSync(output)));
    expect(json.report.after.params).toBe(written.summary.params);
    expect(json.report.after.bytes).toBe(readFileSync(output).byteLength);
    expect(json.report.prune.groups.map((g: { kept: number }) => g.kept)).toEqual([4, 3, 3, 8]);
    expect(json.report.quant.layers).toHaveLength(7);
  });

  it('--recover names the steps (reconstruct first), checks --ridge, and writes nothing on a bad one', async () => {
    const config = writeConfig('prune.json', { version: 1, prune: { ratio: 0.5 } });
    const output = join(tmp, 'never.onnx');
    const unknown = await run(['apply', residual, '--config', config, '-o', output, '--recover', 'reconstruction']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown step "reconstruction" \(steps: reconstruct, bias-correction, head-refit, fine-tune, qat, or all\)/);
    // Training steps run the retraining pipeline: they combine only with reconstruction, and QAT needs bits to train for.
    const mixed = await run(['apply', residual, '--config', config, '-o', output, '--recover', 'bias-correction,fine-tune']);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/"bias-correction" does not combine with fine-tune \/ qat/);
    const qat = await run(['apply', residual, '--config', config, '-o', output, '--recover', 'reconstruct,qat']);
    expect(qat.code).toBe(2);
    expect(qat.err).toMatch(/--qat needs a "quant" section in the config/);
    const ridge = await run(['apply', residual, '--config', config, '-o', output, '--recover', 'reconstruct', '--ridge=-1']);
    expect(ridge.code).toBe(2);
    expect(ridge.err).toMatch(/--ridge must be a number >= 0, got "-1"/);
    expect(existsSync(output)).toBe(false);
  });

  it.skipIf(defaultModelMissing)('calibrates, quantizes and measures accuracy (--eval, first 500 test images)', async () => {
    const output = join(tmp, 'w8a8.onnx');
    const config = writeConfig('w8a8.json', { version: 1, quant: { weightBits: 8, activationBits: 8, scale: 'po2', calibration: { images: 200 } } });
    const { code, out } = await run(['apply', DEFAULT_MODEL, '--config', config, '-o', output, '--eval', '--limit', '500']);
    expect(code).toBe(0);
    expect(out).toMatch(/quantization: format float/);
    expect(out).toMatch(/calibration: 200 images, method minmax/);
    const m = /accuracy {2}top-1 ([\d.]+) % -> ([\d.]+) %.* on Fashion-MNIST test, 500 images/.exec(out);
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - Number(m![2]))).toBeLessThan(2);
    expect(existsSync(output)).toBe(true);
  }, 300_000);
});

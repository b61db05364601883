import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, KWS, dataMissing, defaultModelMissing, readBytes, thirdPartyMissing } from '../../test/fixtures.ts';
import { main } from './main.ts';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') });
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'edgefold-cli-'));

describe('edgefold CLI', () => {
  it('prints help listing the commands', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/inspect/);
    expect(out).toMatch(/eval/);
  });

  it('the installed bin runs (npx edgefold --help)', () => {
    const out = execFileSync(process.execPath, [resolve(import.meta.dirname, '../../bin/edgefold.mjs'), '--help'], { encoding: 'utf8' });
    expect(out).toMatch(/Usage: edgefold <command>/);
  });

  it.skipIf(thirdPartyMissing)('inspect --json gives the model and its layers', async () => {
    const { code, out } = await run(['inspect', KWS, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.model).toMatchObject({ opset: 13, irVersion: 7, params: 22604, macs: 2656768, ops: 5313536 });
    expect(json.model.inputs[0]).toEqual({ name: 'input_1', shape: [1, 49, 10, 1] });
    expect(json.layers).toHaveLength(11);
    expect(Object.keys(json.layers[0]).sort()).toEqual(
      ['name', 'op', 'kind', 'inputShape', 'outputShape', 'kernel', 'stride', 'groups', 'params', 'macs'].sort(),
    );
  });

  it.skipIf(thirdPartyMissing)('inspect prints a readable table', async () => {
    const { code, out } = await run(['inspect', KWS]);
    expect(code).toBe(0);
    expect(out).toMatch(/params\s+22,604/);
    expect(out).toMatch(/depthwise/);
  });

  it('bad input exits 2 with a message on stderr and no stack trace', async () => {
    const garbage = join(tmp, 'garbage.onnx');
    writeFileSync(garbage, 'this is not a model');
    for (const args of [['inspect', garbage], ['inspect', join(tmp, 'missing.onnx')], ['inspect'], ['eval', garbage], ['nope'], ['inspect', '--bogus']]) {
      const { code, err, out } = await run(args);
      expect(code, args.join(' ')).toBe(2);
      expect(err).toMatch(/edgefold/);
      expect(err).not.toMatch(/\n\s+at /);
      expect(out).toBe('');
    }
  });

  it.skipIf(thirdPartyMissing || dataMissing)('eval refuses a model whose input does not fit the data', async () => {
    const { code, err } = await run(['eval', KWS, '--limit', '10']);
    expect(code).toBe(2);
    expect(err).toMatch(/expects input \[1, 49, 10, 1\]/);
  });

  it.skipIf(defaultModelMissing)('eval --json measures the default model', async () => {
    const { code, out } = await run(['eval', DEFAULT_MODEL, '--limit', '500', '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.n).toBe(500);
    expect(json.top1).toBeGreaterThan(0.85);
    expect(json.ci95[0]).toBeLessThan(json.top1);
    expect(json.imagesPerSecond).toBeGreaterThan(0);
    expect(readBytes(DEFAULT_MODEL).length).toBeGreaterThan(0);
  });

  it.skipIf(defaultModelMissing)('eval --engine native (onnxruntime-node) gives the wasm engine\'s accuracy', async () => {
    const wasm = JSON.parse((await run(['eval', DEFAULT_MODEL, '--limit', '300', '--json'])).out);
    const { code, out } = await run(['eval', DEFAULT_MODEL, '--limit', '300', '--json', '--engine', 'native']);
    expect(code).toBe(0);
    const native = JSON.parse(out);
    expect(native.n).toBe(300);
    expect(native.top1).toBeCloseTo(wasm.top1, 2);
  });

  it.skipIf(defaultModelMissing)('estimate applies a compression config the way the explorer does, and refuses an invalid folding', async () => {
    const plain = JSON.parse((await run(['estimate', DEFAULT_MODEL, '--device', 'XC7Z020', '--json'])).out);
    const cfgPath = join(tmp, 'prune.json');
    writeFileSync(cfgPath, JSON.stringify({ version: 1, prune: { ratio: 0.3, roundTo: 8 } }));
    const pruned = await run(['estimate', DEFAULT_MODEL, '--device', 'XC7Z020', '--config', cfgPath, '--json']);
    expect(pruned.code).toBe(0);
    const e = JSON.parse(pruned.out).estimate;
    expect(e.opsPerFrame).toBeLessThan(plain.estimate.opsPerFrame);
    expect(e.fps).toBeGreaterThan(plain.estimate.fps);
    const badPath = join(tmp, 'bad-fold.json');
    writeFileSync(badPath, JSON.stringify({ hardware: { layers: { '/fc/Gemm': { pe: 7 } } } }));
    const bad = await run(['estimate', DEFAULT_MODEL, '--device', 'XC7Z020', '--config', badPath]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/PE=7 must divide 10.*Allowed PE: 1, 2, 5, 10/);
  });

  it.skipIf(defaultModelMissing || dataMissing)('estimate --calibrate counts the requantisers at the quantised bias widths, as rtl and synth build them', async () => {
    const cfgPath = join(tmp, 'w8a8.json');
    writeFileSync(cfgPath, JSON.stringify({ version: 1, quant: { weightBits: 8, activationBits: 8 } }));
    const args = ['estimate', DEFAULT_MODEL, '--device', 'GW2A-18', '--config', cfgPath, '--auto-fold', 'max-fps', '--json'];
    const plain = await run(args);
    const bound = JSON.parse(plain.out).estimate;
    const calibrated = await run([...args, '--calibrate']);
    // Exit 1 both ways: even fully folded, the default model is over GW2A-18's budget.
    expect([plain.code, calibrated.code]).toEqual([1, 1]);
    const e = JSON.parse(calibrated.out).estimate;
    const requantNotes = (est: typeof e) => est.layers.flatMap((l: { engines: { kind: string; notes: string[] }[] }) => l.engines.filter((x) => x.kind === 'thresholding').map((x) => x.notes.join(' ')));
    expect(requantNotes(bound).every((n: string) => n.includes('taken as the accumulator'))).toBe(true);
    expect(requantNotes(e).every((n: string) => n.includes('biases of the quantised layer'))).toBe(true);
    // Narrower biases never need more parameter memory (78 against 81 BRAM18 here; synthesized: 78).
    expect(e.totals.bram18).toBeLessThan(bound.totals.bram18);
    const unquantized = await run(['estimate', DEFAULT_MODEL, '--device', 'GW2A-18', '--calibrate']);
    expect(unquantized.code).toBe(2);
    expect(unquantized.err).toMatch(/--calibrate needs a quantized design/);
    const dataAlone = await run(['estimate', DEFAULT_MODEL, '--device', 'GW2A-18', '--data', 'x.json']);
    expect(dataAlone.code).toBe(2);
    expect(dataAlone.err).toMatch(/--data is read only with --calibrate/);
  });

  it('process exit code is 2 for bad input when run as a binary', () => {
    const r = spawnSync(process.execPath, [resolve(import.meta.dirname, '../../bin/edgefold.mjs'), 'inspect', '/definitely/not/here.onnx'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read model/);
  });
});

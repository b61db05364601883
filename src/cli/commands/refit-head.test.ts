import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DATA_MANIFEST, DEFAULT_MODEL, defaultModelMissing } from '../../../test/fixtures.ts';
import { encodePng } from '../../core/data/node-decoder.ts';
import { encodeNpy, parseNpy } from '../../core/data/npy.ts';
import { mulberry32 } from '../../core/data/random.ts';
import { loadModel } from '../../core/graph/index.ts';
import { buildModel, node, tensorInfo } from '../../core/onnx/builder.ts';
import { encodeModel } from '../../core/onnx/model.ts';
import { floatTensor } from '../../core/onnx/tensor.ts';
import { main } from '../main.ts';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') });
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'edgefold-refit-'));
const random = mulberry32(3);

/** Image i (4x4 gray): a bright quadrant i % 4 over dim noise. */
function quadrant(c: number): Uint8Array {
  return Uint8Array.from({ length: 16 }, (_, p) => (((Math.floor(p / 8) << 1) | (p % 4 >= 2 ? 1 : 0)) === c ? 140 + Math.floor(random() * 100) : Math.floor(random() * 80)));
}

// Flatten -> MatMul -> Relu (quadrant means + random features) -> Gemm head with 2 outputs
const w1 = new Array<number>(16 * 8).fill(0);
for (let p = 0; p < 16; p++) {
  w1[p * 8 + ((Math.floor(p / 8) << 1) | (p % 4 >= 2 ? 1 : 0))] = 0.25;
  for (let h = 4; h < 8; h++) w1[p * 8 + h] = random() - 0.5;
}
const modelPath = join(tmp, 'tiny.onnx');
writeFileSync(
  modelPath,
  encodeModel(
    buildModel({
      inputs: [tensorInfo('x', ['N', 1, 4, 4])],
      outputs: [tensorInfo('y', ['N', 2])],
      initializers: [floatTensor('w1', [16, 8], w1), floatTensor('w2', [2, 8], new Array(16).fill(0.1)), floatTensor('b2', [2], [0, 0])],
      nodes: [node('Flatten', ['x'], ['f']), node('MatMul', ['f', 'w1'], ['m']), node('Relu', ['m'], ['h']), node('Gemm', ['h', 'w2', 'b2'], ['y'], { transB: 1 }, 'head')],
    }),
  ),
);

const n = 200;
const labels = Array.from({ length: n }, (_, i) => i % 4);
const images = labels.map(quadrant);
const npzPath = join(tmp, 'quadrants.npz');
writeFileSync(npzPath, zipSync({ 'x.npy': encodeNpy(images.flatMap((im) => Array.from(im)), [n, 4, 4], '|u1'), 'y.npy': encodeNpy(labels, [n], '<i8') }));

describe('edgefold refit-head', () => {
  it('re-fits the head on an .npz, writes a 4-class model, and dumps the features for the PyTorch reference', async () => {
    const out = join(tmp, 'out', 'refit.onnx');
    const dump = join(tmp, 'features');
    const { code, out: stdout, err } = await run(['refit-head', modelPath, '--data', npzPath, '-o', out, '--json', '--dump-features', dump, '--seed', '5']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.classes).toEqual(['0', '1', '2', '3']);
    expect(json.head).toEqual({ node: 'head', features: 8, outputsBefore: 2, outputsAfter: 4 });
    expect(json.dataset.counts).toMatchObject({ total: 200, training: 140, validation: 40, calibration: 20 });
    expect(json.dataset.id).toMatch(/^[0-9a-f]{64}$/);
    expect(json.converged).toBe(true);
    expect(json.validationTop1).toBeGreaterThanOrEqual(0.9);
    expect(json.before).toBeUndefined(); // the 2-output model has no outputs for classes 2 and 3
    expect(loadModel(readFileSync(out)).summary.outputs[0].shape).toEqual([null, 4]);
    const x = parseNpy(readFileSync(join(dump, 'train_x.npy')), 'train_x.npy');
    expect(x.shape).toEqual([140, 8]);
    expect(parseNpy(readFileSync(join(dump, 'val_y.npy')), 'val_y.npy').shape).toEqual([40]);
    expect(JSON.parse(readFileSync(join(dump, 'meta.json'), 'utf8'))).toMatchObject({ classes: ['0', '1', '2', '3'], tsValAccuracyOnnx: json.validationTop1 });
  });

  it('reads an ImageFolder directory of PNGs; text output names the classes', async () => {
    const root = join(tmp, 'folder');
    ['north-west', 'north-east', 'south-west', 'south-east'].forEach((name, c) => {
      mkdirSync(join(root, name), { recursive: true });
      for (let i = 0; i < 30; i++) writeFileSync(join(root, name, `${i}.png`), encodePng(4, 4, 1, quadrant(c)));
    });
    writeFileSync(join(root, 'notes.txt'), 'not an image');
    const out = join(tmp, 'folder.onnx');
    const { code, out: stdout } = await run(['refit-head', modelPath, '--data', root, '-o', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/4 classes: north-east, north-west, south-east, south-west/);
    expect(stdout).toMatch(/2 -> 4 outputs/);
    expect(stdout).toMatch(/warning\s+ignored 1 file/);
    expect(existsSync(out)).toBe(true);
  });

  it('bad data exits 2 with a message that names the file or option, and writes nothing', async () => {
    const badLabels = join(tmp, 'bad.npz');
    writeFileSync(badLabels, zipSync({ 'x.npy': encodeNpy(new Array(32).fill(1), [2, 4, 4], '|u1'), 'y.npy': encodeNpy([0, 1], [2], '<i8'), 'classes.npy': encodeNpy([], [0], '|u1') }));
    const emptyClass = join(tmp, 'empty');
    mkdirSync(join(emptyClass, 'a'), { recursive: true });
    mkdirSync(join(emptyClass, 'b'), { recursive: true });
    writeFileSync(join(emptyClass, 'a', '1.png'), encodePng(4, 4, 1, quadrant(0)));
    const big = join(tmp, 'big.npz');
    writeFileSync(big, zipSync({ 'x.npy': encodeNpy(new Array(2 * 64).fill(3), [2, 8, 8], '|u1'), 'y.npy': encodeNpy([0, 1], [2], '<i8') }));
    const out = join(tmp, 'never.onnx');
    const cases: [string[], RegExp][] = [
      [['--data', npzPath], /missing -o/],
      [['--data', join(tmp, 'nope.npz'), '-o', out], /cannot read data ".*nope.npz"/],
      [['--data', emptyClass, '-o', out], /class folder "b" holds no images/],
      [['--data', badLabels, '-o', out], /bad.npz:classes must hold class names/],
      [['--data', big, '-o', out, '--resize', 'none'], /x\[0\] is 8x8 but the model takes 4x4/],
      [['--data', npzPath, '-o', out, '--split', '0.5,0.5'], /--split must be 3 comma-separated/],
      [['--data', npzPath, '-o', out, '--color', 'rgb'], /preprocessing gives 3x4x4 \(NCHW\) but the model takes 1x4x4/],
    ];
    for (const [args, message] of cases) {
      const { code, err } = await run(['refit-head', modelPath, ...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(err, args.join(' ')).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(defaultModelMissing)('re-fits the default model on the bundled calibration split (10 classes, by manifest)', async () => {
    const out = join(tmp, 'fmnist.onnx');
    const { code, out: stdout } = await run(['refit-head', DEFAULT_MODEL, '--data', DATA_MANIFEST, '--manifest-split', 'calibration', '-o', out, '--json', '--split', '0,0.6,0.4']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.head).toMatchObject({ node: '/fc/Gemm', features: 256, outputsBefore: 10, outputsAfter: 10 });
    expect(json.dataset.counts).toMatchObject({ total: 1000, training: 600, validation: 400 });
    expect(json.before.mapping).toBe('names');
    expect(json.before.top1).toBeGreaterThan(0.85);
    expect(json.validationTop1).toBeGreaterThan(0.85);
  });
});

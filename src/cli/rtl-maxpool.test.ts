/**
 * Max pooling in the generated accelerator: a small CNN with both of the estimator's max pool
 * engines (StreamingMaxPool for a tiling 2x2 window on unsigned activations, a depthwise window
 * + Pool for a padded 3x3 stride-2 window on signed ones) simulated in Icarus Verilog on 200
 * random images, bit-exact with the integer reference; the frame interval against the estimate.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompressionConfig } from '../core/config/compression.ts';
import { mulberry32 } from '../core/data/random.ts';
import type { Dataset } from '../core/eval/dataset.ts';
import { loadModel } from '../core/graph/index.ts';
import { getDevice } from '../core/hw/devices.ts';
import { hwLayersFromLayerView } from '../core/hw/layers.ts';
import { estimate } from '../core/hw/pipeline.ts';
import { emitAccelerator } from '../core/rtl/design.ts';
import { runOp, type IntConv, type IntMaxPool } from '../core/rtl/integer.ts';
import { maxPoolModel } from '../../test/rtl-models.ts';
import { hasIcarus } from '../../test/system-tools.ts';
import { loadOrt } from './ort.ts';
import { buildIntegerDesign, referenceRun } from './rtl-flow.ts';
import { simulate, writeDesign } from './rtl-sim.ts';

const SIZE = 8;

function randomImages(count: number, seed: number): Dataset {
  const random = mulberry32(seed);
  return {
    name: 'random',
    split: 'test',
    count,
    shape: [1, SIZE, SIZE],
    classes: ['a', 'b', 'c'],
    pixels: Uint8Array.from({ length: count * SIZE * SIZE }, () => Math.floor(random() * 256)),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
    preprocessing: { scale: 1 / 255, mean: [0.5], std: [0.25] },
  };
}

describe('integer max pool', () => {
  it('takes the window maximum, padding never winning over negative values', () => {
    const op: IntMaxPool = {
      kind: 'max-pool',
      name: 'p',
      inDim: [2, 3],
      inChannels: 1,
      outDim: [1, 2],
      outChannels: 1,
      input: { bits: 4, signed: true, scale: 1, scaleType: 'float', rounding: 'half-even', qmin: -8, qmax: 7 },
      requant: null,
      kernel: [3, 3],
      stride: [2, 2],
      pads: [1, 1, 1, 1],
    };
    // Rows [-5 -3 -7] [-6 -8 -2]: windows (cols -1..1) and (cols 1..3).
    expect(Array.from(runOp(op, Int32Array.from([-5, -3, -7, -6, -8, -2])))).toEqual([-3, -2]);
  });
});

describe.skipIf(!hasIcarus)('max pool accelerator in Icarus Verilog (iverilog missing: run node tools/ensure-system-tools.mjs)', () => {
  it('is bit-exact with the integer reference on 200 random images; StreamingMaxPool sets the estimated frame interval, then the windowed Pool\'s window', async () => {
    const loaded = loadModel(maxPoolModel(SIZE), 'maxpool.onnx');
    const config: CompressionConfig = { version: 1, quant: { weightBits: 8, activationBits: 8 } };
    const ort = await loadOrt('native');
    const design = await buildIntegerDesign(loaded, config, randomImages(64, 5), ort);
    expect(design.net.ops.map((o) => o.kind)).toEqual(['pointwise', 'max-pool', 'pointwise', 'max-pool', 'global-avg-pool', 'fc']);
    const [pool2, pool3] = design.net.ops.filter((o) => o.kind === 'max-pool');
    expect([pool2.input.signed, pool3.input.signed]).toEqual([false, true]);
    const images = 200;
    const reference = await referenceRun(design, randomImages(images, 6), images, ort);
    expect(new Set(reference.logits.map((l) => l.join(','))).size).toBeGreaterThan(100);
    // The signed pool's padding matters: every 3x3 stride-2 window of the 4x4 map overlaps the
    // padding, so a negative maximum is one that zero padding would have turned into 0.
    const pool3Outputs = reference.inputs.slice(0, 20).flatMap((image) => {
      let x = image;
      for (const op of design.net.ops.slice(0, design.net.ops.indexOf(pool3) + 1)) x = runOp(op as IntConv | IntMaxPool, x);
      return Array.from(x);
    });
    expect(pool3Outputs.filter((v) => v < 0).length).toBeGreaterThan(10);

    const hw = hwLayersFromLayerView(loaded.layers, Object.fromEntries(loaded.layers.map((l) => [l.name, { weightBits: 8, actBits: 8 }])));
    const run = async (folding: Record<string, { pe: number; simd: number }>, count: number) => {
      const est = estimate(hw, folding, getDevice('XC7Z020'), 100);
      const accelerator = emitAccelerator(design.net, est, { images: count });
      const dir = mkdtempSync(join(tmpdir(), 'edgefold-rtl-maxpool-'));
      await writeDesign(accelerator, dir, reference.inputs.slice(0, count));
      const sim = await simulate(accelerator, dir, count, 'iverilog', 120_000);
      expect(sim.logits.length).toBe(count);
      sim.logits.forEach((l, i) => expect(Array.from(l), `image ${i}`).toEqual(Array.from(reference.logits[i])));
      return { est, sim, accelerator };
    };
    const cyclesOf = (est: ReturnType<typeof estimate>, layer: string, kind: string) => est.layers.find((l) => l.name === layer)!.engines.find((e) => e.kind === kind)!.cycles;

    // StreamingMaxPool is the slowest engine: 8^2 (1 + 1/4) = 80 cycles (FINN's count).
    const a = await run({ stem: { pe: 4, simd: 1 }, pw: { pe: 8, simd: 4 }, pool3: { pe: 8, simd: 1 }, fc: { pe: 3, simd: 8 } }, images);
    expect(a.accelerator.stages.filter((s) => s.kind === 'max-pool').map((s) => s.layer)).toEqual(['pool2', 'pool3']);
    expect(cyclesOf(a.est, 'pool2', 'streaming-maxpool')).toBe(80);
    expect(a.est.maxCycles).toBe(80);
    expect(Math.abs(a.sim.steadyInterval! / a.est.maxCycles - 1)).toBeLessThan(0.02);

    // The windowed Pool at PE 1 reads 2x2 x 9 x 8 = 288 words; its k3 s2 window on the 4x4 map
    // (padded by 1) keeps 3 rows, so the writer waits for the reader at each output row's end and
    // the next row's first window waits for it: 1 + 5 pixels of 8 words a frame
    // (generatedWindowCycles), 336 cycles, the slowest engine, and what the simulation runs at.
    const b = await run({ stem: { pe: 4, simd: 1 }, pw: { pe: 8, simd: 4 }, pool3: { pe: 1, simd: 1 }, fc: { pe: 3, simd: 8 } }, 6);
    expect(cyclesOf(b.est, 'pool3', 'pool')).toBe(288);
    expect(cyclesOf(b.est, 'pool3', 'sliding-window')).toBe(288 + 6 * 8);
    expect(b.est.maxCycles).toBe(288 + 6 * 8);
    expect(Math.abs(b.sim.steadyInterval! / b.est.maxCycles - 1)).toBeLessThan(0.02);
  }, 120_000);
});

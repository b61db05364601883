/**
 * The multiply-shift requantiser's parameter ROM: the estimate of a quantised design counts the ROM
 * the generator emits (its bias width), and before quantisation takes the biases as wide as the
 * accumulators and says so (docs/hardware-model.md, "Block RAM as Yosys builds it (session 11)").
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { tinyModel } from '../../../test/rtl-models.ts';
import type { CompressionConfig } from '../config/compression.ts';
import { designContext, evaluateDesign, type Design } from '../design/design.ts';
import { loadModel } from '../graph/index.ts';
import { getDevice, toEngineDevice } from '../hw/devices.ts';
import { requantBiasBoundNote, requantCost } from '../hw/engines/thresholding.ts';
import { arrayBatchSource, randomValues, seeded } from '../prune/testing.ts';
import { buildIntegerDesign } from './build.ts';
import { emitAccelerator, requantBiasWidths } from './design.ts';

ort.env.logLevel = 'error';

const modelBytes = tinyModel(8);
const loaded = loadModel(modelBytes, 'tiny.onnx');
const rand = seeded(7);
const batches = [Float32Array.from(randomValues(rand, 4 * 64, 2))];
const config: CompressionConfig = { version: 1, quant: { weightBits: 8, activationBits: 8 } };
const design: Design = { compression: config, hardware: { device: 'GW2A-18', clockMHz: 100, budget: 0.8, layers: {} } };

/** The emitted requantisers' localparams, by layer: bias and accumulator width, ROM word width. */
function emittedRoms(verilog: Map<string, string>): Map<string, { biasBits: number; accBits: number; wordBits: number }> {
  const out = new Map<string, { biasBits: number; accBits: number; wordBits: number }>();
  for (const [layer, text] of verilog) {
    const p = (name: string) => Number(new RegExp(`\\b${name} = (\\d+)`).exec(text)![1]);
    expect(text).toMatch(/reg \[PE\*LW-1:0\] pmem/);
    out.set(layer, { biasBits: p('BB'), accBits: p('IB'), wordBits: p('PE') * p('LW') });
  }
  return out;
}

describe('requantiser parameter ROM: estimate vs generator', () => {
  it('a quantised design: the estimated ROM word is as wide as the emitted one (biases narrower than the accumulators)', async () => {
    const { net } = await buildIntegerDesign(loaded.model, config, arrayBatchSource(ort, batches, [4, 1, 8, 8]));
    const metrics = evaluateDesign(designContext(loaded), design, [], requantBiasWidths(net));
    const accelerator = emitAccelerator(net, metrics.estimate, { images: 1 });
    const roms = emittedRoms(new Map(accelerator.stages.filter((s) => s.kind === 'requant').map((s) => [s.layer, s.module.verilog])));
    expect([...roms.keys()]).toEqual(['stem', 'dw', 'pw']);
    // The case this is about: a bias narrower than its accumulator (else the bound would pass too).
    expect([...roms.values()].some((r) => r.biasBits < r.accBits)).toBe(true);
    for (const [layer, rom] of roms) {
      const engine = metrics.estimate.layers.find((l) => l.name === layer)!.engines.find((e) => e.kind === 'thresholding')!;
      const channels = net.ops.find((op) => op.name === layer)!.outChannels;
      // weightMemBits = channel folds x the estimated ROM word.
      expect(engine.weightMemBits / (channels / engine.pe), layer).toBe(rom.wordBits);
      expect(engine.notes.join(' '), layer).toContain(`${rom.biasBits}-b biases of the quantised layer`);
    }
  });

  it('parameters not yet quantised: biases taken as wide as the accumulator, and the notes say so', () => {
    const metrics = evaluateDesign(designContext(loaded), design);
    const engines = metrics.estimate.layers.flatMap((l) => l.engines.filter((e) => e.kind === 'thresholding').map((e) => ({ e, spec: metrics.hwLayers.find((h) => h.name === l.name)!.engines.find((s) => s.kind === 'thresholding')! })));
    expect(engines).toHaveLength(3);
    for (const { e, spec } of engines) {
      if (spec.kind !== 'thresholding') throw new Error('not a thresholding spec');
      expect(e.weightMemBits).toBe(spec.channels * (spec.thresholdBits + 16));
      expect(e.notes).toContain(requantBiasBoundNote(spec.thresholdBits));
    }
  });

  it("a 256-channel ROM with 15-bit biases is one Gowin block; bounded by a 24-bit accumulator, two (GW2A-18's 512 x 36 shape)", () => {
    const device = toEngineDevice(getDevice('GW2A-18'));
    const shape = { channels: 256, numVectors: 1, thresholdBits: 24 };
    expect(requantCost({ ...shape, biasBits: 15 }, 8, 1, device, 'bram').bram18).toBe(1);
    expect(requantCost(shape, 8, 1, device, 'bram').bram18).toBe(2);
  });
});

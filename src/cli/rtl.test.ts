/**
 * End to end: a small depthwise-separable CNN (built here) is quantized, turned into its integer
 * network and into Verilog, simulated with Icarus Verilog on a few images, and compared bit for
 * bit with the TypeScript integer reference; the simulated frame interval is compared with the
 * estimator's.
 */
import { execFileSync } from 'node:child_process';
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
import { residualModel, tinyModel } from '../../test/rtl-models.ts';
import { emitAccelerator } from '../core/rtl/design.ts';
import { emitFifo } from '../core/rtl/fifo.ts';
import { channelThresholds } from '../core/rtl/thresholds.ts';
import { emitWidthConverter } from '../core/rtl/width-converter.ts';
import { fixedPointMultipliers, requantize, type Requant } from '../core/rtl/integer.ts';
import { loadOrt } from './ort.ts';
import { buildIntegerDesign, referenceRun } from './rtl-flow.ts';
import { simulate, writeDesign } from './rtl-sim.ts';
import { main } from './main.ts';
import { writeFileSync } from 'node:fs';
import { hasIcarus } from '../../test/system-tools.ts';


const random = mulberry32(17);

function randomImages(count: number): Dataset {
  return {
    name: 'random',
    split: 'test',
    count,
    shape: [1, 8, 8],
    classes: ['a', 'b', 'c'],
    pixels: Uint8Array.from({ length: count * 64 }, () => Math.floor(random() * 256)),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
    preprocessing: { scale: 1 / 255, mean: [0.5], std: [0.25] },
  };
}

/** The tiny model at W = A = `bits`: its integer design, the reference on `images` random images, and its hardware layers. */
async function tinyIntegerDesign(bits: number, images: number) {
  const loaded = loadModel(tinyModel(8), 'tiny.onnx');
  const config: CompressionConfig = { version: 1, quant: { weightBits: bits, activationBits: bits } };
  const ort = await loadOrt('native');
  const design = await buildIntegerDesign(loaded, config, randomImages(64), ort);
  const reference = await referenceRun(design, randomImages(images), images, ort);
  const hw = hwLayersFromLayerView(loaded.layers, Object.fromEntries(loaded.layers.map((l) => [l.name, { weightBits: bits, actBits: bits }])));
  return { design, reference, hw };
}

/**
 * The width converters the estimate charges are the ones the generator builds, by elements per
 * word (element widths may differ by a bit or two: the generator sizes accumulators from the
 * integer network, the estimator from the layer's bits).
 */
function expectSameConverters(est: ReturnType<typeof estimate>, accelerator: ReturnType<typeof emitAccelerator>) {
  const charged = est.layers.flatMap((l) => l.widthConverters.map((c) => `${c.bypass ? 'bypass ' : ''}${c.inElements}->${c.outElements}`));
  const built = [
    ...accelerator.stages.filter((st) => st.kind === 'width-converter').map((st) => `${st.inElements}->${st.outElements}`),
    ...accelerator.stages.flatMap((st) => {
      const bits = st.skip ? accelerator.stages[st.skip.fork].outBits : 1;
      return (st.skip?.path ?? []).filter((m) => m.name.startsWith('dwc_')).map((m) => `bypass ${m.inWidth / bits}->${m.outWidth / bits}`);
    }),
  ];
  expect(charged.length).toBeGreaterThan(0);
  expect(charged.sort()).toEqual(built.sort());
  expect(est.totals.widthConverterLut).toBeGreaterThan(0);
}

/**
 * On a calibrated family (XC7Z020 here) the estimate charges the FIFOs the generator builds: one in
 * front of every stage, the first included, none between a padding engine and its window (the
 * generator pads inside the window), and the bypass FIFO of a residual Add.
 */
function expectSameFifos(est: ReturnType<typeof estimate>, accelerator: ReturnType<typeof emitAccelerator>) {
  const charged = est.layers.flatMap((l) => l.fifos.map((f) => (f.bypass ? 'bypass' : 'stream')));
  const built = [
    ...accelerator.stages.filter((st) => st.kind === 'fifo').map(() => 'stream'),
    ...accelerator.stages.flatMap((st) => (st.skip?.path ?? []).filter((m) => m.name.startsWith('fifo_')).map(() => 'bypass')),
  ];
  expect(charged.length).toBeGreaterThan(0);
  expect(charged.sort()).toEqual(built.sort());
}

describe('integer semantics', () => {
  it('requantises with half-to-even and floor rounding and clips to the output grid', () => {
    const out = { bits: 4, signed: false, scale: 1, scaleType: 'float' as const, rounding: 'half-even' as const, qmin: 0, qmax: 15 };
    const r: Requant = { bias: [0], multiplier: [1], shift: 1, rounding: 'half-even', out };
    // x / 2: 5/2 = 2.5 -> 2 (even), 7/2 = 3.5 -> 4, -3 -> clip 0, 100 -> clip 15
    expect([5, 7, -3, 100].map((x) => requantize(x, 0, r))).toEqual([2, 4, 0, 15]);
    expect([5, 7].map((x) => requantize(x, 0, { ...r, rounding: 'floor' }))).toEqual([2, 3]);
    expect(requantize(3, 0, { ...r, bias: [2] })).toBe(2);
  });

  it('derives thresholds that give the multiply-shift requantiser\'s integers for every accumulator', () => {
    for (const [bits, signed, rounding] of [[4, false, 'half-even'], [3, true, 'floor'], [2, false, 'floor']] as const) {
      const top = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
      const out = { bits, signed, scale: 1, scaleType: 'float' as const, rounding, qmin: signed ? -top - 1 : 0, qmax: top };
      const r: Requant = { bias: [37, -12], multiplier: [40_000, 9_000], shift: 18, rounding, out };
      for (const channel of [0, 1]) {
        const t = channelThresholds(r, channel, 16);
        expect(t).toHaveLength(out.qmax - out.qmin);
        for (let acc = -(2 ** 15); acc < 2 ** 15; acc += 13) expect(out.qmin + t.filter((x) => acc >= x).length).toBe(requantize(acc, channel, r));
      }
    }
  });

  it('keeps every multiplier below 2^16 with the largest shared shift', () => {
    const { multiplier, shift } = fixedPointMultipliers([0.001, 0.0004]);
    expect(Math.max(...multiplier)).toBeLessThan(2 ** 16);
    expect(Math.max(...multiplier)).toBeGreaterThanOrEqual(2 ** 15);
    expect(multiplier[0] / 2 ** shift).toBeCloseTo(0.001, 7);
  });
});

describe.skipIf(!hasIcarus)('generated accelerator in Icarus Verilog (iverilog missing: run node tools/ensure-system-tools.mjs)', () => {
  it('is bit-exact with the integer reference and keeps the estimated frame interval', async () => {
    const bytes = tinyModel(8);
    const loaded = loadModel(bytes, 'tiny.onnx');
    const config: CompressionConfig = { version: 1, quant: { weightBits: 8, activationBits: 8 } };
    const ort = await loadOrt('native');
    const calibration = randomImages(64);
    const design = await buildIntegerDesign(loaded, config, calibration, ort);
    const images = 4;
    const reference = await referenceRun(design, randomImages(images), images, ort);

    const bits = Object.fromEntries(loaded.layers.map((l) => [l.name, { weightBits: 8, actBits: 8 }]));
    const hw = hwLayersFromLayerView(loaded.layers, bits);
    // A folding that needs width converters (pw SIMD 2 after a 1-lane requantiser, FC SIMD 4 after the pool).
    const est = estimate(hw, { stem: { pe: 2, simd: 1 }, dw: { pe: 2, simd: 1 }, pw: { pe: 4, simd: 2 }, fc: { pe: 3, simd: 4 } }, getDevice('XC7Z020'), 100);
    const accelerator = emitAccelerator(design.net, est, { images });
    expectSameConverters(est, accelerator);
    expectSameFifos(est, accelerator);
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-rtl-'));
    await writeDesign(accelerator, dir, reference.inputs);
    const sim = await simulate(accelerator, dir, images, 'iverilog', 120_000);

    expect(sim.logits.length).toBe(images);
    sim.logits.forEach((l, i) => expect(Array.from(l)).toEqual(Array.from(reference.logits[i])));
    // The reference is not trivially zero: its logits differ between images.
    expect(new Set(reference.logits.map((l) => l.join(','))).size).toBeGreaterThan(1);
    expect(sim.steadyInterval).not.toBeNull();
    expect(Math.abs(sim.steadyInterval! / est.maxCycles - 1)).toBeLessThan(0.02);
    expect(sim.firstFrameLatency).toBeGreaterThan(est.maxCycles);
    // Top-1 of the integer reference against the quantized ONNX model (float scales: may differ by a rounding step).
    expect(reference.referenceTop1.filter((t, i) => t === reference.onnxTop1[i]).length).toBeGreaterThanOrEqual(images - 1);
  });

  it('emits FINN-style thresholds where the estimate charges them (W4A4), bit-exact', async () => {
    const images = 3;
    const { design, reference, hw } = await tinyIntegerDesign(4, images);
    const est = estimate(hw, { stem: { pe: 2, simd: 1 }, dw: { pe: 2, simd: 1 }, pw: { pe: 4, simd: 2 }, fc: { pe: 3, simd: 4 } }, getDevice('XC7Z020'), 100);
    const accelerator = emitAccelerator(design.net, est, { images });
    expect(accelerator.stages.filter((s) => s.kind === 'thresholds').map((s) => s.layer)).toEqual(['stem', 'dw', 'pw']);
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-rtl-w4-'));
    await writeDesign(accelerator, dir, reference.inputs);
    const sim = await simulate(accelerator, dir, images, 'iverilog', 120_000);
    sim.logits.forEach((l, i) => expect(Array.from(l)).toEqual(Array.from(reference.logits[i])));
    expect(sim.logits.length).toBe(images);
  });

  it('builds the products in LUTs where the estimate puts them (mulStyle lut, W8A8), bit-exact', async () => {
    const images = 3;
    const { design, reference, hw } = await tinyIntegerDesign(8, images);
    const lut = { mulStyle: 'lut' as const, memStyle: 'auto' as const };
    const est = estimate(hw, { stem: { pe: 2, simd: 1, ...lut }, dw: { pe: 2, simd: 1, ...lut }, pw: { pe: 4, simd: 2, ...lut }, fc: { pe: 3, simd: 4, ...lut } }, getDevice('XC7Z020'), 100);
    const macs = est.layers.filter((l) => ['stem', 'dw', 'pw', 'fc'].includes(l.name));
    expect(macs.map((l) => l.dsp)).toEqual([0, 0, 0, 0]);
    const accelerator = emitAccelerator(design.net, est, { images });
    const engines = accelerator.stages.filter((st) => st.kind === 'mvau' || st.kind === 'vvau');
    expect(engines.map((st) => st.layer)).toEqual(['stem', 'dw', 'pw', 'fc']);
    for (const st of engines) expect(st.module.verilog, st.layer).toContain('lut_mul(s1_w');
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-rtl-lut-'));
    await writeDesign(accelerator, dir, reference.inputs);
    const sim = await simulate(accelerator, dir, images, 'iverilog', 120_000);
    expect(sim.logits.length).toBe(images);
    sim.logits.forEach((l, i) => expect(Array.from(l)).toEqual(Array.from(reference.logits[i])));
  });

  it('builds a residual Add (fork, bypass FIFO, AddStreams) bit-exact with the reference', async () => {
    const loaded = loadModel(residualModel(8), 'residual.onnx');
    const config: CompressionConfig = { version: 1, quant: { weightBits: 8, activationBits: 8 } };
    const ort = await loadOrt('native');
    const design = await buildIntegerDesign(loaded, config, randomImages(64), ort);
    expect(design.net.ops.map((o) => o.kind)).toEqual(['conv', 'depthwise', 'pointwise', 'add', 'global-avg-pool', 'fc']);
    const images = 4;
    const reference = await referenceRun(design, randomImages(images), images, ort);
    const hw = hwLayersFromLayerView(loaded.layers, Object.fromEntries(loaded.layers.map((l) => [l.name, { weightBits: 8, actBits: 8 }])));
    // The stem MVAU is the bottleneck (2,304 cycles). A depthwise window is never the simulated
    // bottleneck: FINN's count charges its line-buffer fill every frame, the emitted one overlaps it.
    const est = estimate(hw, { stem: { pe: 1, simd: 1 }, dw: { pe: 2, simd: 1 }, pw: { pe: 2, simd: 2 }, add: { pe: 2, simd: 1 }, fc: { pe: 3, simd: 2 } }, getDevice('XC7Z020'), 100);
    const accelerator = emitAccelerator(design.net, est, { images });
    expect(accelerator.stages.some((s) => s.kind === 'add-streams' && s.skip)).toBe(true);
    // The skip source comes from the graph (the stem, not the shape-alike depthwise layer) and the
    // estimator sizes the bypass with the generator's count, so the generator keeps its depth:
    // dw window (3 - 1 - 1) x 8 + 2 = 10 pixels x 4 channels = 40 elements / PE 2 + 32 = 52 words.
    expect(hw.find((l) => l.name === 'add')!.skipFrom).toBe(0);
    expect(est.layers.find((l) => l.name === 'add')!.fifos.find((f) => f.bypass)).toMatchObject({ from: 'stem', depth: 52 });
    expect(accelerator.notes.filter((n) => n.includes('bypass FIFO'))).toEqual([]);
    expectSameConverters(est, accelerator);
    expectSameFifos(est, accelerator);
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-rtl-res-'));
    await writeDesign(accelerator, dir, reference.inputs);
    const sim = await simulate(accelerator, dir, images, 'iverilog', 120_000);
    expect(sim.logits.length).toBe(images);
    sim.logits.forEach((l, i) => expect(Array.from(l)).toEqual(Array.from(reference.logits[i])));
    expect(Math.abs(sim.steadyInterval! / est.maxCycles - 1)).toBeLessThan(0.02);
  });
});

describe.skipIf(!hasIcarus)('stream plumbing under back-pressure (Icarus)', () => {
  it.each([
    [2, 3],
    [3, 2],
    [1, 4],
    [4, 1],
  ])('a %i -> %i element width converter behind a FIFO keeps every element in order', (inEl, outEl) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-dwc-'));
    const dwc = emitWidthConverter('dwc', inEl, outEl, 8);
    const fifo = emitFifo('fifo', 3, inEl * 8);
    const total = 12 * inEl * outEl;
    // Input words: element values 0, 1, 2, ... ; the sink is ready on a pseudo-random pattern.
    const tb = `module tb;
  reg clk = 0, rst = 1;
  always #5 clk = ~clk;
  integer sent = 0, got = 0, errors = 0, cycle = 0, e;
  reg [${inEl * 8 - 1}:0] word;
  always @* for (e = 0; e < ${inEl}; e = e + 1) word[e*8 +: 8] = (sent * ${inEl} + e) % 256;
  wire f_ready, f_valid, d_ready, d_valid;
  wire [${inEl * 8 - 1}:0] f_data;
  wire [${outEl * 8 - 1}:0] d_data;
  wire sink_ready = ((cycle * 7) % 5) < 3;
  fifo f (.clk(clk), .rst(rst), .in_data(word), .in_valid(!rst && sent < ${total / inEl}), .in_ready(f_ready), .out_data(f_data), .out_valid(f_valid), .out_ready(d_ready));
  dwc d (.clk(clk), .rst(rst), .in_data(f_data), .in_valid(f_valid), .in_ready(d_ready), .out_data(d_data), .out_valid(d_valid), .out_ready(sink_ready));
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (!rst && sent < ${total / inEl} && f_ready) sent <= sent + 1;
    if (d_valid && sink_ready) begin
      for (e = 0; e < ${outEl}; e = e + 1) if (d_data[e*8 +: 8] !== (got * ${outEl} + e) % 256) errors = errors + 1;
      got <= got + 1;
      if (got + 1 == ${total / outEl}) begin $display("DONE %0d %0d", got + 1, errors); $finish; end
    end
    if (cycle > 5000) begin $display("STUCK %0d", got); $finish; end
  end
  initial begin repeat (2) @(posedge clk); rst <= 0; end
endmodule
`;
    writeFileSync(join(dir, 'all.v'), dwc.verilog + fifo.verilog + tb);
    execFileSync('iverilog', ['-g2005', '-s', 'tb', '-o', join(dir, 'sim.vvp'), join(dir, 'all.v')]);
    const out = execFileSync('vvp', ['-n', join(dir, 'sim.vvp')], { encoding: 'utf8' });
    expect(out).toContain(`DONE ${total / outEl} 0`);
  });
});

describe('edgefold rtl: bad input', () => {
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') });
    return { code, out, err };
  };
  const dir = mkdtempSync(join(tmpdir(), 'edgefold-rtl-cli-'));
  const model = join(dir, 'tiny.onnx');
  writeFileSync(model, tinyModel(8));

  it('needs --config and -o', async () => {
    expect((await run(['rtl', model, '-o', join(dir, 'a')])).err).toMatch(/--config/);
    const cfg = join(dir, 'w8a8.json');
    writeFileSync(cfg, JSON.stringify({ version: 1, quant: { weightBits: 8, activationBits: 8 } }));
    const r = await run(['rtl', model, '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/-o <dir>/);
  });

  it('refuses a non-empty output directory before any work', async () => {
    const cfg = join(dir, 'w8a8.json');
    writeFileSync(cfg, JSON.stringify({ version: 1, quant: { weightBits: 8, activationBits: 8 } }));
    const r = await run(['rtl', model, '--config', cfg, '-o', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not empty/);
  });

  it('refuses a design that keeps activations float', async () => {
    const cfg = join(dir, 'w8.json');
    writeFileSync(cfg, JSON.stringify({ version: 1, quant: { weightBits: 8 } }));
    const r = await run(['rtl', model, '--config', cfg, '-o', join(dir, 'b')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/activationBits/);
  });
});

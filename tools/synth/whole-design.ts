/**
 * Whole designs, estimate vs synthesis: the folding `edgefold synth` chose (its JSON's `layers`;
 * for older JSONs without them, auto-fold on the prior estimates, as `edgefold synth` did before
 * calibration: check that FPS, DSP and BRAM agree with the JSON's own estimate), then the estimate
 * at that same folding (and the integer parameters `edgefold synth` built from the default calibration
 * data) with the FINN-based priors, with the calibration as the estimator applies it
 * (src/core/hw/calibration.json `applyLut`), and with both LUT and FF fits applied, next to the
 * synthesized counts of a `edgefold synth --json` result.
 *
 * Run: node --import tsx tools/synth/whole-design.ts <model.onnx> <quant cfg.json> <device> <max-fps|FPS> <synth.json>
 */
import { readFileSync } from 'node:fs';
import { designContext, evaluateDesign } from '../../src/core/design/design.ts';
import { loadModel } from '../../src/core/graph/index.ts';
import { getDevice, type Device } from '../../src/core/hw/devices.ts';
import { autoFold } from '../../src/core/hw/fold.ts';
import type { HwLayerConfig } from '../../src/core/hw/config.ts';
import { estimate } from '../../src/core/hw/pipeline.ts';
import { CALIBRATION, calibrationFamily } from '../../src/core/hw/calibration.ts';
import { requantBiasWidths } from '../../src/core/rtl/design.ts';
import { readDataset } from '../../src/cli/io.ts';
import { loadOrt } from '../../src/cli/ort.ts';
import { buildIntegerDesign } from '../../src/cli/rtl-flow.ts';

const [modelPath, cfgPath, deviceId, objectiveArg, synthPath] = process.argv.slice(2);
const loaded = loadModel(readFileSync(modelPath), modelPath);
const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { quant: object };
const device = getDevice(deviceId);
// The same device under a family name no calibration knows: the prior estimate.
const prior: Device = { ...device, vendor: `${device.vendor} (uncalibrated)`, family: `${device.family} (uncalibrated)` };
// The integer parameters the synthesized design was built with (`edgefold synth`: the default calibration data), so that
// the estimate counts the requantisers' parameter ROMs as generated; `bound` is the estimate before quantisation.
const integer = await buildIntegerDesign(loaded, cfg as never, await readDataset(undefined, 'calibration'), await loadOrt('native'));
const hwDesign = { compression: cfg as never, hardware: { device: device.id, clockMHz: 100, budget: 0.8, layers: {} } };
const metrics = evaluateDesign(designContext(loaded), hwDesign, [device], requantBiasWidths(integer.net));
const bound = evaluateDesign(designContext(loaded), hwDesign, [device]);
const objective = objectiveArg === 'max-fps' ? 'max-fps' : { targetFps: Number(objectiveArg) };
const synthLayers = (JSON.parse(readFileSync(synthPath, 'utf8')) as { layers?: Record<string, HwLayerConfig> }).layers;
// The synthesized design's own folding when its JSON has it; else auto-fold on the priors, as `edgefold synth` did before calibration.
const folding = synthLayers ?? Object.fromEntries(autoFold(metrics.hwLayers, prior, 100, { budget: 0.8, objective }).estimate.layers.map((l) => [l.name, l.config]));
const before = estimate(metrics.hwLayers, folding, prior, 100);
const requantBram = (e: typeof before) => e.layers.flatMap((l) => l.engines.filter((r) => r.kind === 'thresholding')).reduce((n, r) => n + r.bram18, 0);
console.log(`requantiser BRAM18: ${requantBram(estimate(bound.hwLayers, folding, device, 100))} with biases as wide as the accumulators (parameters not quantised), ${requantBram(estimate(metrics.hwLayers, folding, device, 100))} with the quantised biases`);
const after = estimate(metrics.hwLayers, folding, device, 100);
// The same with the LUT fit applied too (whatever the table decides): the whole-design check of that decision.
const applied = CALIBRATION.applyLut;
CALIBRATION.applyLut = { xilinx: true, gowin: true, anlogic: true };
const withLut = estimate(metrics.hwLayers, folding, device, 100);
CALIBRATION.applyLut = applied;
const synth = JSON.parse(readFileSync(synthPath, 'utf8')) as { synthesized: Record<string, number>; estimated?: Record<string, number>; fps: number };
const pick = (t: { lut: number; ff: number; dsp: number; bram18: number }) => ({ lut: Math.round(t.lut), ff: Math.round(t.ff), dsp: t.dsp, bram18: t.bram18 });
const err = (e: number, s: number) => `${e >= s ? '+' : ''}${((100 * (e - s)) / s).toFixed(1)} %`;
const b = pick(before.totals);
const a = pick(after.totals);
const l = pick(withLut.totals);
const s = synth.synthesized;
console.log(JSON.stringify({ fps: { estimate: before.fps, synthJson: synth.fps }, folding: synthLayers ? 'from the synth JSON' : 'auto-fold on the priors', jsonEstimate: synth.estimated, prior: b, estimator: a, lutAndFfFit: l, synthesized: s }));
if (!synthLayers && (Math.abs(before.fps - synth.fps) > 1e-6 || before.totals.dsp !== synth.estimated?.dsp || before.totals.bram18 !== synth.estimated?.bram18)) console.log('WARNING: the re-derived folding differs from the synthesized one (FPS, DSP or BRAM differ): the comparison is not valid');
for (const k of ['lut', 'ff', 'dsp', 'bram18'] as const) console.log(`${k.padEnd(7)} prior ${b[k]} (${err(b[k], s[k])})  estimator (LUT fit ${applied[calibrationFamily(device) ?? 'xilinx'] === true ? 'applied' : Array.isArray(applied[calibrationFamily(device) ?? 'xilinx']) ? `applied to ${String(applied[calibrationFamily(device) ?? 'xilinx'])}` : 'not applied'}) ${a[k]} (${err(a[k], s[k])})  LUT+FF fit ${l[k]} (${err(l[k], s[k])})  synthesized ${s[k]}`);

/** Estimated LUT (device unit) and FF per engine kind, in the kinds `edgefold synth --hierarchy` reports. */
function byKind(e: typeof before): Record<string, { lut: number; ff: number; dsp: number; bram18: number }> {
  const out: Record<string, { lut: number; ff: number; dsp: number; bram18: number }> = {};
  const add = (k: string, lut: number, ff: number, dsp = 0, bram18 = 0) => {
    const o = (out[k] ??= { lut: 0, ff: 0, dsp: 0, bram18: 0 });
    o.lut += Math.round(lut * e.device.lutFactor);
    o.ff += ff;
    o.dsp += dsp;
    o.bram18 += bram18;
  };
  const names: Record<string, string> = { thresholding: 'requant', 'global-acc-pool': 'global-pool', pool: 'max-pool', 'streaming-maxpool': 'max-pool', fmpadding: 'sliding-window' };
  for (const l of e.layers) {
    for (const r of l.engines) add(names[r.kind] ?? r.kind, r.lut, r.ff, r.dsp, r.bram18);
    for (const f of l.fifos) add('fifo', f.lut, f.ff, 0, f.bram18);
    for (const c of l.widthConverters) add('width-converter', c.lut, c.ff);
  }
  return out;
}
const synthKinds = (synth as unknown as { byKind?: Record<string, { synthesized: Record<string, number> }> }).byKind;
{
  const pb = byKind(before);
  const pl = byKind(withLut);
  console.log(`per kind (LUT prior / LUT fit / synthesized; FF prior / FF fit / synthesized; DSP, BRAM18 estimated / synthesized)${synthKinds ? '' : '; no per-kind synthesis (run edgefold synth --hierarchy): synthesized shows 0'}:`);
  for (const k of [...new Set([...Object.keys(pb), ...Object.keys(synthKinds ?? {})])]) {
    const s2 = synthKinds?.[k]?.synthesized;
    console.log(`  ${k.padEnd(16)} LUT ${pb[k]?.lut ?? 0} / ${pl[k]?.lut ?? 0} / ${s2?.lut ?? 0}   FF ${pb[k]?.ff ?? 0} / ${pl[k]?.ff ?? 0} / ${s2?.ff ?? 0}   DSP ${pb[k]?.dsp ?? 0} / ${s2?.dsp ?? 0}   BRAM18 ${pb[k]?.bram18 ?? 0} / ${s2?.bram18 ?? 0}`);
  }
}

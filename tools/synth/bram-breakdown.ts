/**
 * Block RAM per engine instance of a whole design, at the folding of a `edgefold synth --json`
 * result: every engine, FIFO and converter the estimate gives block RAM, and every MVAU / VVAU
 * weight memory and requantiser parameter memory, with the estimate's block count and its note.
 *
 * Run: node --import tsx tools/synth/bram-breakdown.ts <model.onnx> <quant cfg.json> <device> <synth.json>
 */
import { readFileSync } from 'node:fs';
import { designContext, evaluateDesign } from '../../src/core/design/design.ts';
import { loadModel } from '../../src/core/graph/index.ts';
import { getDevice } from '../../src/core/hw/devices.ts';
import type { HwLayerConfig } from '../../src/core/hw/config.ts';
import { estimate } from '../../src/core/hw/pipeline.ts';

const [modelPath, cfgPath, deviceId, synthPath] = process.argv.slice(2);
const loaded = loadModel(readFileSync(modelPath), modelPath);
const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { quant: object };
const device = getDevice(deviceId);
const metrics = evaluateDesign(designContext(loaded), { compression: cfg as never, hardware: { device: device.id, clockMHz: 100, budget: 0.8, layers: {} } }, [device]);
const synth = JSON.parse(readFileSync(synthPath, 'utf8')) as { layers: Record<string, HwLayerConfig>; byKind?: Record<string, { synthesized: { bram18: number } }> };
const est = estimate(metrics.hwLayers, synth.layers, device, 100);
const sums: Record<string, number> = {};
metrics.hwLayers.forEach((layer, li) => {
  const row = est.layers[li];
  layer.engines.forEach((spec, ei) => {
    const r = row.engines[ei];
    if (!r || (!r.bram18 && spec.kind !== 'mvau' && spec.kind !== 'vvau' && spec.kind !== 'thresholding')) return;
    sums[spec.kind] = (sums[spec.kind] ?? 0) + r.bram18;
    console.log(`${layer.name.padEnd(34)} ${spec.kind.padEnd(15)} pe ${r.pe} simd ${r.simd} bram18 ${r.bram18}  ${r.notes.filter((n) => !n.includes('calibrated')).join('; ')}`);
  });
  for (const f of row.fifos) {
    sums.fifo = (sums.fifo ?? 0) + f.bram18;
    if (f.bram18) console.log(`${layer.name.padEnd(34)} fifo            bram18 ${f.bram18}  ${f.depth} x ${f.width} b (${f.from} -> ${f.to})`);
  }
});
console.log('estimated per kind', JSON.stringify(sums), 'synthesized', JSON.stringify(Object.fromEntries(Object.entries(synth.byKind ?? {}).map(([k, v]) => [k, v.synthesized.bram18]))));

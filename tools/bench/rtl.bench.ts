/**
 * Generated accelerator in simulation (issue 17 section 2): for each design, `edgefold rtl` with
 * the estimator's auto-fold at max FPS on XC7Z020, Verilator on the first N Fashion-MNIST test
 * images, compared with the TypeScript integer reference (bit-exact logits), the quantized ONNX
 * model (top-1), and the estimate (cycles per frame, first-frame latency).
 * Run alone: npm run bench -- rtl --write   (RTL_IMAGES=200 by default)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { residualModel } from '../../test/rtl-models.ts';
import type { BenchSection } from './harness.ts';

const RESIDUAL_MODEL = 'residual (built, random weights, 28x28, 8 channels), W8A8';

// The pruned designs start from the default model pruned 25 % and reconstructed (edgefold apply
// --recover reconstruct, no training), so their accuracy means something; rtl then quantizes them.
const CASES: { name: string; config: object; model?: 'residual' | 'pruned' }[] = [
  { name: 'default model, W8A8, unpruned', config: { version: 1, quant: { weightBits: 8, activationBits: 8 } } },
  { name: 'pruned 25 % (reconstructed), W8A8', model: 'pruned', config: { version: 1, quant: { weightBits: 8, activationBits: 8 } } },
  { name: 'pruned 25 % (reconstructed), W4A4', model: 'pruned', config: { version: 1, quant: { weightBits: 4, activationBits: 4 } } },
  {
    name: RESIDUAL_MODEL,
    model: 'residual',
    // Fixed folding (auto-fold at max FPS would give this tiny model the window's parallel mode, not generated yet).
    config: {
      version: 1,
      quant: { weightBits: 8, activationBits: 8 },
      hardware: { device: 'XC7Z020', clockMHz: 100, layers: { stem: { pe: 1, simd: 1 }, dw: { pe: 2, simd: 1 }, pw: { pe: 2, simd: 2 }, add: { pe: 1, simd: 1 }, fc: { pe: 1, simd: 1 } } },
    },
  },
];

interface CaseResult {
  images: number;
  folding: string;
  stages: number;
  estimate: { cyclesPerFrame: number; latencyCycles: number; fps: number };
  top1: { reference: number; onnx: number; agreement: number };
  simulation: {
    bitExact: number;
    imagesCompared: number;
    steadyCyclesPerFrame: number;
    intervalError: number;
    firstFrameLatencyCycles: number;
    estimatedLatencyCycles: number;
    compileSeconds: number;
    runSeconds: number;
  };
}

export async function run(): Promise<BenchSection> {
  const images = Number(process.env.RTL_IMAGES ?? 200);
  const rows: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'edgefold-rtl-bench-'));
  const prunedModel = join(work, 'pruned25-reconstructed.onnx');
  writeFileSync(join(work, 'prune25.json'), JSON.stringify({ version: 1, prune: { ratio: 0.25 } }));
  const quiet = { out: () => {}, err: (t: string) => console.error(t) };
  if ((await main(['apply', 'public/models/dscnn-fmnist.onnx', '--config', join(work, 'prune25.json'), '-o', prunedModel, '--recover', 'reconstruct'], quiet)) !== 0) throw new Error('pruning + reconstruction failed');
  for (const c of CASES) {
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-rtl-bench-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(c.config));
    const modelPath = c.model === 'residual' ? join(dir, 'residual.onnx') : c.model === 'pruned' ? prunedModel : 'public/models/dscnn-fmnist.onnx';
    if (c.model === 'residual') writeFileSync(modelPath, residualModel(28, 5, 8, 10));
    let out = '';
    let err = '';
    const code = await main(['rtl', modelPath, '--config', configPath, '-o', join(dir, 'design'), '--images', String(images), '--simulate', 'verilator', '--json'], {
      out: (t) => (out += t),
      err: (t) => (err += t),
    });
    if (!out) {
      rows.push(`| ${c.name} | failed (exit ${code}): ${err.trim().split('\n')[0]} | | | | | | |`);
      continue;
    }
    const r = JSON.parse(out) as CaseResult;
    const s = r.simulation;
    const cyclesPerSecond = (s.steadyCyclesPerFrame * (s.imagesCompared - 1) + s.firstFrameLatencyCycles) / s.runSeconds;
    rows.push(
      `| ${c.name} | ${s.bitExact} / ${r.images} | ${(100 * r.top1.agreement).toFixed(1)} % (${(100 * r.top1.reference).toFixed(1)} % vs ${(100 * r.top1.onnx).toFixed(1)} %) | ` +
        `${s.steadyCyclesPerFrame.toFixed(1)} / ${r.estimate.cyclesPerFrame} (${(100 * s.intervalError).toFixed(2)} %) | ${s.firstFrameLatencyCycles} / ${r.estimate.latencyCycles} | ` +
        `${r.stages} | ${s.compileSeconds.toFixed(0)} s | ${(s.imagesCompared / s.runSeconds).toFixed(1)} (${(cyclesPerSecond / 1000).toFixed(0)} k cycles/s) |`,
    );
    console.log(rows.at(-1));
  }
  const body = [
    'Pruned designs: the default model pruned 25 % and reconstructed (`edgefold apply --recover reconstruct`: least squares on the calibration split, no training), then quantized by `edgefold rtl`. ' +
      'The residual model is built with random weights (test/rtl-models.ts) and a fixed folding: its accuracy is chance by construction; bit-exactness and timing are what it checks.',
    '',
    `Each design: \`edgefold rtl <model.onnx> --config <cfg> -o <dir> --images ${images} --simulate verilator\` (folding: the estimator's auto-fold at max FPS on XC7Z020, 100 MHz; FIFO depths from the estimator). Verilator 5.006, one thread, \`-O2\`.`,
    '',
    '| design | logits bit-exact with the integer reference | top-1 same as quantized ONNX (accuracy: integer reference vs ONNX) | simulated / estimated cycles per frame | first-frame latency: simulated / estimated cycles | stages | Verilator build | simulation images/s |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Estimated latency is the estimator\'s first-frame model (pipeline.ts); the simulated one is from the first input word to the last logit of image 1.',
  ].join('\n');
  return { title: 'Generated accelerator in simulation (Verilator)', body };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await run();
  console.log(section.body);
}

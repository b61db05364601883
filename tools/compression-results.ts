/**
 * Measures the default model's accuracy under pruning and quantization and writes
 * docs/compression-results.md. Every number is measured with onnxruntime-web (wasm) on the
 * Fashion-MNIST test split (all 10,000 images unless --limit is given); activation ranges are
 * calibrated on the separate 1,000-image calibration split. No retraining anywhere.
 *
 *   node --import tsx tools/compression-results.ts            # full run, writes the doc
 *   node --import tsx tools/compression-results.ts --limit 2000   # quicker, prints only
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { applyConfig, calibrateConfig, parseCompressionConfig, type ApplyResult, type CompressionConfig } from '../src/core/config/compression.ts';
import { loadDataset, validateManifest, type Dataset } from '../src/core/eval/dataset.ts';
import { evaluate, type EvalResult } from '../src/core/eval/evaluate.ts';
import { createOrtRunner } from '../src/core/eval/ort-runner.ts';
import { decodeModel, type ModelProto } from '../src/core/onnx/model.ts';
import { analyzeChannels } from '../src/core/prune/index.ts';
import { ortBatchSource } from '../src/core/quant/ort-calibration.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const modelPath = resolve(root, 'public/models/dscnn-fmnist.onnx');
const manifestPath = resolve(root, 'public/data/fmnist.json');
const docPath = resolve(root, 'docs/compression-results.md');
const limitArg = process.argv.indexOf('--limit');
const limit = limitArg > 0 ? Number(process.argv[limitArg + 1]) : undefined;
const INPUT = [null, 1, 28, 28];

ort.env.logLevel = 'error';

interface Row {
  label: string;
  config: CompressionConfig;
  result: ApplyResult;
  eval: EvalResult;
}

const pct = (x: number) => (100 * x).toFixed(2);
const count = (n: number) => n.toLocaleString('en-US');

async function main() {
  const model: ModelProto = decodeModel(new Uint8Array(readFileSync(modelPath)), 'dscnn-fmnist.onnx');
  const manifest = validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
  const read = async (p: string) => new Uint8Array(readFileSync(resolve(dirname(manifestPath), p)));
  const test: Dataset = await loadDataset(manifest, 'test', read);
  const calib: Dataset = await loadDataset(manifest, 'calibration', read);

  const measure = async (label: string, input: CompressionConfig): Promise<Row> => {
    const config = parseCompressionConfig(input);
    const calibration = await calibrateConfig(model, config, ortBatchSource(ort, calib, INPUT, { batchSize: 200 }));
    const result = applyConfig(model, config, calibration);
    // QuantizeLinear/Clip/DequantizeLinear chains are exact only without onnxruntime's QDQ rewrites;
    // the int8 QDQ export is measured the way it deploys (fused int8 kernels).
    const level = config.quant?.format === 'qcdq' ? 'disabled' : 'all';
    const runner = await createOrtRunner(ort, result.bytes, { graphOptimizationLevel: level });
    const evalResult = await evaluate(runner, test, INPUT, { batchSize: 500, limit });
    await runner.release();
    process.stdout.write(`${label}: ${pct(evalResult.top1)} %\n`);
    return { label, config, result, eval: evalResult };
  };

  const baseline = await measure('float (as trained, BN folded)', { version: 1 });
  const delta = (r: Row) => {
    const d = 100 * (r.eval.top1 - baseline.eval.top1);
    return `${d >= 0 ? '+' : ''}${d.toFixed(2)}`;
  };
  const ci = (r: Row) => `${pct(r.eval.ci95[0])}-${pct(r.eval.ci95[1])}`;

  // Pruning, uniform ratio over every prunable group.
  const pruneRows = [baseline];
  for (const [ratio, roundTo] of [
    [0.05, 1],
    [0.1, 1],
    [0.25, 1],
    [0.25, 8],
    [0.5, 1],
  ] as const) {
    pruneRows.push(await measure(`${ratio * 100} %${roundTo > 1 ? `, round to ${roundTo}` : ''}`, { version: 1, prune: { ratio, roundTo } }));
  }

  // Sensitivity: one group at a time.
  const groups = analyzeChannels(model).groups.filter((g) => g.prunable);
  const sensitivity: { group: string; size: number; top1: number[] }[] = [];
  for (const g of groups) {
    const top1: number[] = [];
    for (const ratio of [0.1, 0.25, 0.5]) {
      const row = await measure(`${g.id} at ${ratio}`, { version: 1, layers: { [g.producers[0]]: { prune: { ratio } } } });
      top1.push(row.eval.top1);
    }
    sensitivity.push({ group: g.id, size: g.size, top1 });
  }

  // Weight-only quantization: bits x granularity x scale type.
  const weightRows: Row[] = [];
  for (const bits of [8, 6, 4]) {
    for (const granularity of ['per-channel', 'per-tensor'] as const) {
      for (const scale of ['float', 'po2'] as const) {
        weightRows.push(await measure(`W${bits} ${granularity} ${scale}`, { version: 1, quant: { weightBits: bits, granularity, scale } }));
      }
    }
  }

  // Weights and activations.
  const actRows: Row[] = [];
  const wa: [string, CompressionConfig['quant']][] = [
    ['W8A8 per-channel float, min/max', { weightBits: 8, activationBits: 8 }],
    ['W8A8 per-channel float, percentile 99.99', { weightBits: 8, activationBits: 8, calibration: { method: 'percentile' } }],
    ['W8A8 per-channel float, MSE', { weightBits: 8, activationBits: 8, calibration: { method: 'mse' } }],
    ['W8A8 per-tensor float, min/max', { weightBits: 8, activationBits: 8, granularity: 'per-tensor' }],
    ['W8A8 per-channel po2, half-even', { weightBits: 8, activationBits: 8, scale: 'po2' }],
    ['W8A8 per-channel po2, floor (ap_fixed AP_TRN)', { weightBits: 8, activationBits: 8, scale: 'po2', rounding: 'floor' }],
    ['W6A6 per-channel po2, MSE', { weightBits: 6, activationBits: 6, scale: 'po2', calibration: { method: 'mse' } }],
    ['W4A8 per-channel float, min/max', { weightBits: 4, activationBits: 8 }],
    ['W4A4 per-channel float, MSE', { weightBits: 4, activationBits: 4, calibration: { method: 'mse' } }],
    ['W8A8 as int8 QDQ export (onnxruntime int8 kernels)', { weightBits: 8, activationBits: 8, format: 'int8-qdq' }],
    ['W8A8 as QuantizeLinear/Clip/DequantizeLinear', { weightBits: 8, activationBits: 8, format: 'qcdq' }],
  ];
  for (const [label, quant] of wa) actRows.push(await measure(label, { version: 1, quant }));

  const combined = await measure('prune 10 % (round to 8) + W8A8 per-channel po2', {
    version: 1,
    prune: { ratio: 0.1, roundTo: 8 },
    quant: { weightBits: 8, activationBits: 8, scale: 'po2' },
  });

  const n = baseline.eval.n;
  const meanSqnr = (r: Row) => {
    const layers = r.result.report.quant?.layers ?? [];
    return layers.length ? (layers.reduce((s, l) => s + l.weightSqnrDb, 0) / layers.length).toFixed(1) : '-';
  };
  const lines = [
    '# Compression results: the default model',
    '',
    `Measured by \`node --import tsx tools/compression-results.ts\` on ${new Date().toISOString().slice(0, 10)}.`,
    `Model: \`public/models/dscnn-fmnist.onnx\` (DS-CNN, BN folded, ${count(baseline.result.report.before.params)} params, ${count(baseline.result.report.before.macs)} MACs).`,
    `Accuracy: top-1 on the Fashion-MNIST test split, ${count(n)} images${n === 10000 ? ' (all of them)' : ' (the first ones only)'}, onnxruntime-web ${ort.env.versions.web ?? ''} (wasm), with the 95 % Wilson interval.`,
    'Activation ranges: calibrated on the 1,000-image calibration split (drawn from the training set, disjoint from the test split).',
    'No retraining or fine-tuning anywhere: these are post-training numbers. Each row is one `applyConfig` call; the config is in the first column.',
    '',
    '## Pruning (uniform ratio over all 7 prunable channel groups, L1 criterion)',
    '',
    '| pruned | params | MACs | file bytes | top-1 % | Δ pp | 95 % CI |',
    '|---|---|---|---|---|---|---|',
    ...pruneRows.map((r) => {
      const a = r.result.report.after;
      return `| ${r === baseline ? 'none' : r.label} | ${count(a.params)} | ${count(a.macs)} | ${count(a.bytes)} | ${pct(r.eval.top1)} | ${r === baseline ? '-' : delta(r)} | ${ci(r)} |`;
    }),
    '',
    '### Sensitivity: one group pruned at a time (top-1 %)',
    '',
    '| group (its producing layer) | channels | 10 % | 25 % | 50 % |',
    '|---|---|---|---|---|',
    ...sensitivity.map((s) => `| \`${s.group}\` | ${s.size} | ${s.top1.map(pct).join(' | ')} |`),
    '',
    '## Weight quantization (activations stay float)',
    '',
    '| weights | granularity | scale | top-1 % | Δ pp | 95 % CI | mean weight SQNR dB | weight memory bits |',
    '|---|---|---|---|---|---|---|---|',
    ...weightRows.map((r) => {
      const q = r.config.quant!;
      return `| ${q.weightBits} bit | ${q.granularity} | ${q.scale === 'po2' ? 'power of two' : 'float'} | ${pct(r.eval.top1)} | ${delta(r)} | ${ci(r)} | ${meanSqnr(r)} | ${count(r.result.report.after.weightMemoryBits)} |`;
    }),
    '',
    '## Weights and activations',
    '',
    '| config | top-1 % | Δ pp | 95 % CI | weight memory bits |',
    '|---|---|---|---|---|',
    ...[...actRows, combined].map((r) => `| ${r.label} | ${pct(r.eval.top1)} | ${delta(r)} | ${ci(r)} | ${count(r.result.report.after.weightMemoryBits)} |`),
    '',
    '## Reading the tables',
    '',
    `- Float baseline: ${pct(baseline.eval.top1)} % (the model card says ${pct(JSON.parse(readFileSync(modelPath.replace(/\.onnx$/, '.json'), 'utf8')).trainedTop1)} % in PyTorch).`,
    `- 8-bit per-channel weights with 8-bit activations (min/max): ${delta(actRows[0])} pp, within the 0.5 pp budget of issue 3 (the unit test \`src/core/quant/quant.test.ts\` checks the same on all 10,000 images).`,
    `- 8- and 6-bit per-channel weights alone cost nothing measurable (${delta(weightRows[0])} and ${delta(weightRows[4])} pp); 6-bit activations do: W6A6 (po2, MSE) gives ${pct(actRows[6].eval.top1)} %.`,
    `- Per-tensor scales fail at low widths: 4-bit per-tensor (float scale) gives ${pct(weightRows[10].eval.top1)} % against ${pct(weightRows[8].eval.top1)} % per channel. With one scale per layer, output channels with small weights get few or no levels; the DFQ paper reports the same collapse for MobileNetV2.`,
    `- Power-of-two scales can waste up to one bit of range: 4-bit per-channel po2 gives ${pct(weightRows[9].eval.top1)} % against ${pct(weightRows[8].eval.top1)} % with float scales; at 8 bits the difference is ${(100 * (weightRows[1].eval.top1 - weightRows[0].eval.top1)).toFixed(2)} pp.`,
    `- Floor rounding (\`ap_fixed\`'s default truncation, applied to weights and activations) costs ${(100 * (actRows[4].eval.top1 - actRows[5].eval.top1)).toFixed(2)} pp against half-even at W8A8 po2: truncation moves every value down by half a step on average, and the shifts add up through the layers.`,
    `- Pruning without retraining is costly on this small network: 10 % of every group gives ${pct(pruneRows[2].eval.top1)} %. The sensitivity table shows the stem and the first block are the most sensitive and only the last group (the one feeding the classifier) tolerates 50 %; a uniform ratio is a poor choice here. Prune per group from the sensitivity table (per-layer \`prune\` entries), and fine-tune.`,
    '- The int8 QDQ row runs onnxruntime\'s fused int8 kernels (graph optimizations on), which requantize with their own rounding; the QuantizeLinear/Clip/DequantizeLinear row runs with graph optimizations off, where it is exact. The other quantized rows are float-chain models that compute exactly the fixed-point arithmetic (checked bit for bit against an integer reference in the unit tests, with power-of-two scales).',
    '',
  ];
  const doc = lines.join('\n');
  if (limit === undefined) {
    writeFileSync(docPath, doc);
    console.log(`wrote ${docPath}`);
  } else {
    console.log(doc);
  }
}

await main();

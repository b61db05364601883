import { retrainCommand } from './retrain.ts';
import { applyConfig, calibrationPlan, parseCompressionConfig, type CompressionReport } from '../../core/config/compression.ts';
import { badInput } from '../../core/errors.ts';
import { evaluate, type EvalResult } from '../../core/eval/evaluate.ts';
import { createOrtRunner } from '../../core/eval/ort-runner.ts';
import { encodeModel } from '../../core/onnx/model.ts';
import { calibrate } from '../../core/quant/calibrate.ts';
import { ortBatchSource } from '../../core/quant/ort-calibration.ts';
import { localRecoveryEngines, recoverCompressed, RECOVERY_STEPS, type BiasReference, type RecoveryResult, type RecoveryStepName } from '../../core/transfer/recover.ts';
import type { Command } from '../command.ts';
import { checkOutputPath, formatCount, intOption, readCheckedJsonFile, readDataset, readModelArg, table, writeOutputFile } from '../io.ts';
import { loadOrt, type EngineName } from '../ort.ts';

const pct = (x: number) => (100 * x).toFixed(2);
const change = (a: number, b: number) => (a ? ` (${b <= a ? '-' : '+'}${((100 * Math.abs(a - b)) / a).toFixed(1)} %)` : '');
const shorten = (name: string, max = 40) => (name.length > max ? '…' + name.slice(name.length - max + 1) : name);
const db = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'exact');
const num = (x: number) => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(3));

/** Steps that train (src/core/train): `--recover` with one of them runs the retraining pipeline (`edgefold retrain`). */
const TRAINING_STEPS = ['fine-tune', 'qat'] as const;

/** `--recover` takes "all" or a comma-separated list of steps. */
function recoverySteps(value: unknown): RecoveryStepName[] {
  const names = String(value).split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length || names.includes('all')) return [...RECOVERY_STEPS];
  const bad = names.find((n) => !RECOVERY_STEPS.includes(n as RecoveryStepName));
  if (bad) throw badInput(`--recover: unknown step "${bad}" (steps: ${[...RECOVERY_STEPS, ...TRAINING_STEPS].join(', ')}, or all).`, 'recover');
  return names as RecoveryStepName[];
}

/** The training steps named in `--recover`, after checking they combine only with reconstruction (which runs first). */
function trainingSteps(value: unknown): { reconstruct: boolean; qat: boolean } | null {
  const names = String(value ?? '').split(',').map((s) => s.trim());
  if (!names.some((n) => (TRAINING_STEPS as readonly string[]).includes(n))) return null;
  const other = names.find((n) => n && n !== 'reconstruct' && !(TRAINING_STEPS as readonly string[]).includes(n));
  if (other) throw badInput(`--recover: "${other}" does not combine with fine-tune / qat; they run as reconstruct (optional), then training (see edgefold retrain).`, 'recover');
  return { reconstruct: names.includes('reconstruct'), qat: names.includes('qat') };
}

function recoveryText(r: RecoveryResult): string[] {
  const acc = (a?: { top1: number; images: number }) => (a ? `${pct(a.top1)} %` : 'not measured (add --eval)');
  const lines = ['', `recovery: ${r.steps.map((s) => s.step).join(', ')}`];
  if (r.compressed) lines.push(`  compressed          top-1 ${acc(r.compressed)}`);
  for (const s of r.steps) {
    const what =
      s.step === 'reconstruct'
        ? `${s.layersReconstructed} layers re-solved (ridge ${s.ridge}), output error vs the float model ${s.meanErrorBefore?.toFixed(3)} -> ${s.meanErrorAfter?.toFixed(3)}, ${s.data.images} calibration images, ${s.computeSeconds?.toFixed(1)} s`
        : s.step === 'bias-correction'
        ? `${s.layersCorrected} layers corrected (${s.mode}, against the ${s.reference}), ${s.data.images} calibration images`
        : `${s.iterations} iterations on ${s.data.images} images (${s.data.dataset} ${s.data.split})${s.headQuantization ? `, head quantized again to ${s.headQuantization.weightBits} bits` : ''}`;
    lines.push(`  + ${s.step.padEnd(17)} top-1 ${acc(s.accuracyAfter)}   ${what}`);
  }
  return lines;
}

function reportText(report: CompressionReport, input: string, output: string): string[] {
  const { before, after } = report;
  const lines = [
    `model     ${input} -> ${output}`,
    `params    ${formatCount(before.params)} -> ${formatCount(after.params)}${change(before.params, after.params)}`,
    `MACs      ${formatCount(before.macs)} -> ${formatCount(after.macs)}${change(before.macs, after.macs)}`,
    `weights   ${formatCount(before.weightMemoryBits)} -> ${formatCount(after.weightMemoryBits)} bits${change(before.weightMemoryBits, after.weightMemoryBits)}`,
    `file      ${formatCount(before.bytes)} -> ${formatCount(after.bytes)} bytes`,
  ];
  if (report.prune.groups.length) {
    lines.push('', `pruning: ${report.prune.groups.length} channel groups`);
    lines.push(
      table(
        ['group', 'channels', 'kept', 'criterion'],
        report.prune.groups.map((g) => [shorten(g.group), String(g.size), String(g.kept), g.criterion]),
        new Set([1, 2]),
      ),
    );
  }
  if (report.batchNorm?.folded.length) lines.push('', `BatchNormalization folded into ${report.batchNorm.folded.length} convs`);
  for (const k of report.batchNorm?.kept ?? []) lines.push(`BatchNormalization ${k.batchNorm} kept: ${k.reason}`);
  if (report.quant) {
    lines.push('', `quantization: format ${report.quant.format}; bias as int32 in units of (input scale x weight scale) when the input is quantized`);
    lines.push(
      table(
        ['layer', 'W bits', 'granularity', 'W scale', 'W SQNR dB', 'A bits', 'A scale', 'A clip', 'A SQNR dB', 'acc bits', 'weight mem bits'],
        report.quant.layers.map((l) => {
          const scales = l.weightFracBits
            ? `2^-f, f ${Math.min(...l.weightFracBits)}..${Math.max(...l.weightFracBits)}`
            : l.weightScales.length === 1
              ? num(l.weightScales[0])
              : `${num(Math.min(...l.weightScales))}..${num(Math.max(...l.weightScales))}`;
          const a = l.activation;
          return [
            shorten(l.layer),
            String(l.weightBits),
            l.granularity,
            scales,
            db(l.weightSqnrDb),
            a ? `${a.bits}${a.signed ? 's' : 'u'}` : 'float',
            a ? (a.fracBits !== undefined ? `2^-${a.fracBits}` : num(a.scale)) : '-',
            a ? `[${num(a.clip[0])}, ${num(a.clip[1])}]` : '-',
            a ? db(a.sqnrDb) : '-',
            l.accumulatorBits ? String(l.accumulatorBits) : '-',
            formatCount(l.weightMemoryBits),
          ];
        }),
        new Set([1, 4, 8, 9, 10]),
      ),
    );
  }
  return lines;
}

export const applyCommand: Command = {
  name: 'apply',
  summary: 'Prune and quantize a model with a compression config; write the new ONNX and report sizes, bits and accuracy.',
  usage:
    'edgefold apply <model.onnx> --config <cfg.json> -o <out.onnx> [--eval] [--json] [--data <manifest.json>] [--calib-split calibration] [--split test] [--limit N] [--engine wasm|native] ' +
    '[--recover all|reconstruct,bias-correction,head-refit|reconstruct,fine-tune|reconstruct,qat] [--bias-reference pruned-float|original] [--ridge 1e-3]',
  options: {
    config: { type: 'string', short: 'c' },
    output: { type: 'string', short: 'o' },
    eval: { type: 'boolean' },
    json: { type: 'boolean' },
    data: { type: 'string' },
    'calib-split': { type: 'string' },
    split: { type: 'string' },
    limit: { type: 'string' },
    engine: { type: 'string' },
    recover: { type: 'string' },
    'bias-reference': { type: 'string' },
    ridge: { type: 'string' },
  },
  async run([path], values, io) {
    const configPath = values.config as string | undefined;
    const output = values.output as string | undefined;
    if (!configPath) throw badInput('--config <cfg.json> is required.', 'config');
    if (!output) throw badInput('-o <out.onnx> is required.', 'output');
    await checkOutputPath(output);
    const engine = (values.engine ?? 'wasm') as EngineName;
    if (engine !== 'wasm' && engine !== 'native') throw badInput(`--engine must be "wasm" or "native", got "${engine}".`, 'engine');
    const training = trainingSteps(values.recover);
    if (training) {
      // Fine-tuning / QAT: the retraining pipeline with its default recipe (prune, reconstruct, calibrate, train, quantize).
      return retrainCommand.run([path], { config: configPath, output, data: values.data, 'calib-split': values['calib-split'], split: values.split, limit: values.limit, engine, json: values.json, 'no-eval': !values.eval, ...training }, io);
    }
    const limit = intOption(values.limit, 'limit');
    const manifest = values.data as string | undefined;
    const { bytes: inputBytes, loaded } = await readModelArg(path);
    const config = await readCheckedJsonFile(configPath, 'config', parseCompressionConfig);

    // Checks the config against the model (and plans the pruning) before any work is done.
    const plan = calibrationPlan(loaded.model, config);
    let calibration;
    if (plan.taps.length) {
      const split = (values['calib-split'] as string | undefined) ?? 'calibration';
      const data = await readDataset(manifest, split);
      const source = ortBatchSource(await loadOrt(engine), data, loaded.summary.inputs[0].shape, {
        batchSize: 100,
        limit: config.quant?.calibration?.images,
      });
      calibration = await calibrate(plan.model, plan.taps, source, encodeModel, { key: plan.key, maxImages: config.quant?.calibration?.images });
    }
    const result = applyConfig(loaded.model, config, calibration);

    // Recovery: reconstruction and bias correction on the calibration split, head re-fit on it, each step measured with --eval.
    let recovery: RecoveryResult | undefined;
    if (values.recover !== undefined) {
      const steps = recoverySteps(values.recover);
      const ridge = values.ridge === undefined ? undefined : Number(values.ridge);
      if (ridge !== undefined && !(ridge >= 0)) throw badInput(`--ridge must be a number >= 0, got "${String(values.ridge)}".`, 'ridge');
      // no --bias-reference: the original model after reconstruction, else the float model pruned alike
      const reference = values['bias-reference'] as BiasReference | undefined;
      if (reference !== undefined && reference !== 'pruned-float' && reference !== 'original') throw badInput(`--bias-reference must be "pruned-float" or "original", got "${reference}".`, 'bias-reference');
      const calibrationData = await readDataset(manifest, (values['calib-split'] as string | undefined) ?? 'calibration');
      const evaluation = values.eval ? await readDataset(manifest, (values.split as string | undefined) ?? 'test') : undefined;
      const level = config.quant?.format === 'qcdq' ? 'disabled' : 'all';
      recovery = await recoverCompressed(
        localRecoveryEngines(await loadOrt(engine), evaluation, { limit, graphOptimizationLevel: level }),
        { floatBytes: inputBytes, compressedBytes: result.bytes, config, quantReport: result.report.quant, calibration: calibrationData, training: calibrationData },
        { steps, biasCorrection: reference ? { reference } : {}, reconstruct: ridge === undefined ? {} : { ridge } },
      );
    }
    await writeOutputFile(output, recovery?.modelBytes ?? result.bytes);

    let accuracy: { before: EvalResult; after: EvalResult } | undefined;
    if (values.eval) {
      const data = await readDataset(manifest, (values.split as string | undefined) ?? 'test');
      const ort = await loadOrt(engine);
      // QuantizeLinear/Clip/DequantizeLinear chains are exact only without onnxruntime's QDQ rewrites.
      const level = config.quant?.format === 'qcdq' ? 'disabled' : 'all';
      const measure = async (bytes: Uint8Array, graphOptimizationLevel: 'disabled' | 'all') => {
        const runner = await createOrtRunner(ort, bytes, { graphOptimizationLevel });
        try {
          return await evaluate(runner, data, loaded.summary.inputs[0].shape, { limit, batchSize: 250 });
        } finally {
          await runner.release();
        }
      };
      accuracy = { before: await measure(inputBytes, 'all'), after: await measure(recovery?.modelBytes ?? result.bytes, level) };
    }

    if (values.json) {
      const strip = (r: EvalResult) => ({ n: r.n, top1: r.top1, top5: r.top5, ci95: r.ci95, loss: r.loss, dataset: r.dataset, split: r.split });
      io.out(
        JSON.stringify(
          {
            model: path,
            output,
            report: result.report,
            ...(accuracy ? { accuracy: { before: strip(accuracy.before), after: strip(accuracy.after) } } : {}),
            ...(recovery ? { recovery: recovery.steps } : {}),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    const lines = reportText(result.report, path!, output);
    if (calibration) lines.push('', `calibration: ${calibration.images} images, method ${config.quant?.calibration?.method ?? 'minmax'}`);
    if (recovery) lines.push(...recoveryText(recovery));
    if (accuracy) {
      const { before, after } = accuracy;
      lines.push(
        '',
        `accuracy  top-1 ${pct(before.top1)} % -> ${pct(after.top1)} % (${(100 * (after.top1 - before.top1)).toFixed(2)} pp; ` +
          `95 % CI of the result ${pct(after.ci95[0])} - ${pct(after.ci95[1])}) on ${after.dataset} ${after.split}, ${after.n} images`,
      );
    }
    io.out(lines.join('\n'));
    return 0;
  },
};

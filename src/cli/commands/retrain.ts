import { badInput, isAbortError } from '../../core/errors.ts';
import { sha256Hex } from '../../core/hash.ts';
import { DEFAULT_RETRAIN, OPTIMIZERS, type OptimizerName, type RetrainOptions, type RetrainProgress } from '../../core/train/index.ts';
import type { Command } from '../command.ts';
import { checkOutputPath, intOption, readDataset, readJsonFile, readModelArg, writeOutputFile } from '../io.ts';
import { loadOrt, type EngineName } from '../ort.ts';
import { retrainOnQueue } from '../queue/design-jobs.ts';
import { parseQueueUrl, readQueueCa } from '../queue/connection.ts';
import { runRetrain, type RetrainSummary } from '../retrain-run.ts';

const pct = (x: number) => (100 * x).toFixed(2);

function numberOption(value: unknown, name: string, min: number, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isFinite(v) || v < min || v > max) throw badInput(`--${name} must be a number from ${min}${max < Infinity ? ` to ${max}` : ' up'}, got "${value}".`, name);
  return v;
}

/** `--kd off`, `--kd 0.7` or `--kd 0.7,4` (weight, temperature). */
function kdOption(value: unknown): RetrainOptions['kd'] | undefined {
  if (value === undefined) return undefined;
  if (value === 'off' || value === 'none' || value === '0') return null;
  const [w, t] = String(value).split(',');
  const weight = numberOption(w, 'kd (weight)', 0, 1)!;
  const temperature = t === undefined ? DEFAULT_RETRAIN.kd!.temperature : numberOption(t, 'kd (temperature)', 0.01)!;
  return { weight, temperature };
}

const clock = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`);

export const retrainCommand: Command = {
  name: 'retrain',
  summary: 'Prune/quantize a model with a compression config, then fine-tune it (or train it quantization-aware) on the training split, and measure it.',
  usage:
    'edgefold retrain <model.onnx> --config <cfg.json> -o <out.onnx> [--epochs N] [--lr X] [--batch N] [--kd weight[,temperature]|off] [--optimizer adamw|sgd] ' +
    '[--weight-decay X] [--seed S] [--qat] [--ranges fixed|ema|learned] [--range-averaging C] [--warmup STEPS] [--no-augment] [--data <manifest.json>] [--train-split train] [--train-limit N] [--calib-split calibration] ' +
    '[--split test] [--limit N] [--no-eval] [--engine native|wasm] [--threads N] [--reconstruct] [--queue redis[s]://host:port [--queue-ttl S] [--queue-ca ca.pem]] [--json]',
  options: {
    config: { type: 'string', short: 'c' },
    output: { type: 'string', short: 'o' },
    epochs: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    kd: { type: 'string' },
    optimizer: { type: 'string' },
    'weight-decay': { type: 'string' },
    seed: { type: 'string' },
    qat: { type: 'boolean' },
    ranges: { type: 'string' },
    'range-averaging': { type: 'string' },
    warmup: { type: 'string' },
    'no-augment': { type: 'boolean' },
    data: { type: 'string' },
    'train-split': { type: 'string' },
    'train-limit': { type: 'string' },
    'calib-split': { type: 'string' },
    split: { type: 'string' },
    limit: { type: 'string' },
    'no-eval': { type: 'boolean' },
    engine: { type: 'string' },
    threads: { type: 'string' },
    reconstruct: { type: 'boolean' },
    json: { type: 'boolean' },
    queue: { type: 'string' },
    'queue-ttl': { type: 'string' },
    'queue-ca': { type: 'string' },
  },
  async run([path], values, io) {
    const configPath = values.config as string | undefined;
    const output = values.output as string | undefined;
    if (!configPath) throw badInput('--config <cfg.json> is required.', 'config');
    if (!output) throw badInput('-o <out.onnx> is required.', 'output');
    await checkOutputPath(output);
    const engine = (values.engine ?? 'native') as EngineName;
    if (engine !== 'wasm' && engine !== 'native') throw badInput(`--engine must be "native" or "wasm", got "${engine}".`, 'engine');
    const optimizer = (values.optimizer ?? DEFAULT_RETRAIN.optimizer) as OptimizerName;
    if (!OPTIMIZERS.includes(optimizer)) throw badInput(`--optimizer must be one of ${OPTIMIZERS.join(', ')}, got "${optimizer}".`, 'optimizer');
    const kd = kdOption(values.kd);
    const ranges = (values.ranges ?? DEFAULT_RETRAIN.activationRanges) as RetrainOptions['activationRanges'];
    if (!['fixed', 'ema', 'learned'].includes(ranges)) throw badInput(`--ranges must be "fixed", "ema" or "learned", got "${ranges}".`, 'ranges');
    const options: RetrainOptions = {
      ...DEFAULT_RETRAIN,
      epochs: intOption(values.epochs, 'epochs', 0) ?? DEFAULT_RETRAIN.epochs,
      lr: numberOption(values.lr, 'lr', 1e-8, 10) ?? DEFAULT_RETRAIN.lr,
      batchSize: intOption(values.batch, 'batch') ?? DEFAULT_RETRAIN.batchSize,
      optimizer,
      weightDecay: numberOption(values['weight-decay'], 'weight-decay', 0, 1) ?? DEFAULT_RETRAIN.weightDecay,
      seed: intOption(values.seed, 'seed', 0) ?? DEFAULT_RETRAIN.seed,
      kd: kd === undefined ? DEFAULT_RETRAIN.kd : kd,
      qat: Boolean(values.qat),
      activationRanges: ranges,
      rangeAveraging: numberOption(values['range-averaging'], 'range-averaging', 0, 1) ?? DEFAULT_RETRAIN.rangeAveraging,
      warmupSteps: intOption(values.warmup, 'warmup', 0) ?? DEFAULT_RETRAIN.warmupSteps,
      augment: values['no-augment'] ? { pad: 0, flip: false } : DEFAULT_RETRAIN.augment,
      limit: intOption(values['train-limit'], 'train-limit'),
    };
    const threads = intOption(values.threads, 'threads') ?? 2;
    const { bytes, loaded } = await readModelArg(path);
    const config = await readJsonFile(configPath, 'config');
    const manifest = values.data as string | undefined;
    const trainData = await readDataset(manifest, (values['train-split'] as string | undefined) ?? 'train');
    const calibration = await readDataset(manifest, (values['calib-split'] as string | undefined) ?? 'calibration');
    const evaluation = values['no-eval'] ? undefined : await readDataset(manifest, (values.split as string | undefined) ?? 'test');
    if (evaluation && evaluation.split === trainData.split) throw badInput('--split and --train-split name the same split: measure on data the model did not train on.', 'split');

    if (options.epochs === 0 && !values.reconstruct) throw badInput('--epochs 0 trains nothing: add --reconstruct, or train for at least one epoch.', 'epochs');
    const queueUrl = values.queue === undefined ? undefined : parseQueueUrl(values.queue as string);
    const queueTtl = intOption(values['queue-ttl'], 'queue-ttl', 5);
    const queueCa = queueUrl ? await readQueueCa(values['queue-ca'] as string | undefined, queueUrl) : undefined;
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let lastLine = 0;
    const onProgress = (p: RetrainProgress) => {
      const t = p.training;
      if (!t) return io.err(`retrain: ${p.phase}${p.message ? ` ${p.message}` : ''}`);
      const now = performance.now();
      if (now - lastLine < 2000 && t.step !== t.steps) return;
      lastLine = now;
      io.err(
        `retrain: epoch ${t.epoch}/${t.epochs} step ${t.step}/${t.steps} loss ${t.loss.toFixed(4)} train-acc ${pct(t.accuracy)} % lr ${t.lr.toExponential(2)} ` +
          `${Math.round(t.imagesPerSecond)} img/s, ${clock(t.secondsLeft)} left`,
      );
    };
    const input = { threads, native: engine === 'native', config, train: trainData, calibration, evaluation, evaluationLimit: intOption(values.limit, 'limit'), options, reconstruct: Boolean(values.reconstruct) };
    let run: { bytes: Uint8Array; summary: RetrainSummary; hosts?: string[] };
    try {
      run = queueUrl
        ? await retrainOnQueue(bytes, input, {
            url: queueUrl,
            engine,
            ownerTtlSeconds: queueTtl,
            ca: queueCa,
            signal: controller.signal,
            log: (line) => io.err(`retrain: ${line}`),
            onProgress: (fraction, secondsLeft) => {
              const now = performance.now();
              if (now - lastLine < 2000 && fraction < 1) return;
              lastLine = now;
              io.err(`retrain: ${(100 * fraction).toFixed(0)} % on a queue worker${secondsLeft === null ? '' : `, ${clock(secondsLeft)} left`}`);
            },
          })
        : await runRetrain(
            { ...input, ort: await loadOrt(engine), model: loaded.model },
            { signal: controller.signal, onProgress, onReconstructed: (layer, done, total) => io.err(`retrain: reconstructed ${layer ?? ''} (${done}/${total})`) },
          );
    } catch (error) {
      if (isAbortError(error)) {
        io.err(`edgefold retrain: cancelled; ${output} was not written and ${path} is unchanged.`);
        return 130;
      }
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
    }
    await writeOutputFile(output, run.bytes);
    const result = run.summary;
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            format: 'edgefold-retrain',
            version: 1,
            model: path,
            modelSha256: await sha256Hex(bytes),
            output,
            sha256: result.sha256,
            engine,
            recipe: { ...result.options, reconstruct: Boolean(values.reconstruct), config },
            ...(result.reconstruction ? { reconstruction: result.reconstruction } : {}),
            data: result.data,
            epochs: result.epochs,
            trainSeconds: result.trainSeconds,
            imagesPerSecond: result.imagesPerSecond,
            ...(result.accuracy ? { accuracy: result.accuracy } : {}),
            quant: result.quant,
            ...(result.activationLimits ? { activationLimits: result.activationLimits } : {}),
            ...(run.hosts ? { hosts: run.hosts } : {}),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    const lines = [
      `model     ${path} -> ${output} (sha256 ${result.sha256.slice(0, 16)}…)`,
      `recipe    ${options.epochs} epochs, ${options.optimizer} lr ${options.lr} (cosine), batch ${options.batchSize}, seed ${options.seed}, ` +
        `${options.kd ? `KD weight ${options.kd.weight} T ${options.kd.temperature}` : 'no KD'}${options.qat ? ', QAT' : ''}, engine ${engine}`,
      `data      ${result.data.train.dataset} ${result.data.train.split}, ${result.data.train.images} images; ${result.trainSeconds.toFixed(1)} s, ${Math.round(result.imagesPerSecond)} img/s`,
      ...result.epochs.map((e) => `  epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, train accuracy ${pct(e.accuracy)} % (${e.seconds.toFixed(1)} s)`),
    ];
    if (result.accuracy) {
      const { compressed, before, after } = result.accuracy;
      const steps = [
        ...(compressed ? [`${pct(compressed.top1)} % (compressed)`, `${pct(before.top1)} % (reconstructed)`] : [`${pct(before.top1)} % (compressed, no retraining)`]),
        ...(options.epochs > 0 ? [`${pct(after.top1)} % (${options.qat ? 'QAT' : 'fine-tuned'})`] : []),
      ];
      lines.push(`accuracy  top-1 ${steps.join(' -> ')} on ${after.dataset} ${after.split}, ${after.n} images`);
    }
    io.out(lines.join('\n'));
    return 0;
  },
};

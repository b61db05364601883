import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { badInput } from '../../core/errors.ts';
import { importIdx, importLoadedDatasets, importNpy, importNpz } from '../../core/data/arrays.ts';
import { detectFormat } from '../../core/data/detect.ts';
import { importImageFolder, importImageZip, IMAGE_EXTENSIONS, type InputFile } from '../../core/data/image-folder.ts';
import { datasetForModel, defaultLabelMapping } from '../../core/data/labels.ts';
import { decodeImageNode } from '../../core/data/node-decoder.ts';
import { encodeNpy } from '../../core/data/npy.ts';
import { prepareDataset, type PreparedDataset } from '../../core/data/prepare.ts';
import { defaultPreprocessing, type PreprocessSpec } from '../../core/data/preprocess.ts';
import { DEFAULT_SPLIT, type SplitSpec } from '../../core/data/split.ts';
import type { ImportedDataset } from '../../core/data/types.ts';
import { loadDataset, validateManifest, type Preprocessing } from '../../core/eval/dataset.ts';
import { evaluate } from '../../core/eval/evaluate.ts';
import { createOrtRunner, type OrtModule } from '../../core/eval/ort-runner.ts';
import type { LoadedModel } from '../../core/graph/index.ts';
import { refitHead, type RefitResult } from '../../core/transfer/refit.ts';
import { DEFAULT_WEIGHT_DECAY } from '../../core/transfer/softmax.ts';
import { modelClassNames } from '../../core/transfer/write-head.ts';
import type { CliIO, Command, ParsedValues } from '../command.ts';
import { intOption, readInputFile, readJsonFile, readModelArg, writeOutputFile } from '../io.ts';
import { loadOrt, type EngineName } from '../ort.ts';

const pct = (x: number) => (100 * x).toFixed(2);

function numberList(value: unknown, name: string, count?: number): number[] | undefined {
  if (value === undefined) return undefined;
  const list = String(value).split(',').map((s) => Number(s.trim()));
  if (list.some((v) => !Number.isFinite(v)) || (count !== undefined && list.length !== count)) {
    throw badInput(`--${name} must be ${count ?? 'a list of'} comma-separated number(s), got "${value}".`, name);
  }
  return list;
}

function numberOption(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isFinite(v) || v < min) throw badInput(`--${name} must be a number >= ${min}, got "${value}".`, name);
  return v;
}

/** Every file below a folder (hidden ones skipped), as paths relative to it, plus its sub-folders. */
async function listFolder(root: string): Promise<{ files: InputFile[]; directories: string[] }> {
  const files: InputFile[] = [];
  const directories: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      const rel = relative(root, full).split(/[\\/]/).join('/');
      if (entry.isDirectory()) {
        directories.push(rel);
        await walk(full);
      } else if (entry.isFile()) {
        const ext = entry.name.split('.').pop()!.toLowerCase();
        files.push({ path: rel, bytes: IMAGE_EXTENSIONS.includes(ext) ? new Uint8Array(await readFile(full)) : new Uint8Array() });
      }
    }
  };
  await walk(root);
  return { files, directories };
}

export interface DataArgOptions {
  /** Labels file for .npy / IDX images. */
  labels?: string;
  /** Manifest splits to use (default: all, concatenated). */
  manifestSplits?: string[];
}

/**
 * Imports a dataset named on the command line: an ImageFolder directory or .zip, an .npz, an .npy
 * or IDX file with --labels, or a manifest (.json) whose splits are concatenated.
 */
export async function readDataArg(path: string | undefined, options: DataArgOptions = {}): Promise<ImportedDataset> {
  if (!path) throw badInput('missing --data (an image folder, a .zip of one, an .npz, or a manifest .json).', 'data');
  let info;
  try {
    info = await stat(path);
  } catch {
    throw badInput(`cannot read data "${path}": no such file or folder.`, 'data');
  }
  if (info.isDirectory()) {
    const { files, directories } = await listFolder(path);
    return importImageFolder(files, decodeImageNode, { name: basename(resolve(path)), directories });
  }
  const bytes = await readInputFile(path, 'data');
  const name = basename(path);
  switch (detectFormat(name, bytes)) {
    case 'zip':
      return importImageZip(bytes, name, decodeImageNode);
    case 'npz':
      return importNpz(bytes, name);
    case 'npy':
    case 'idx': {
      if (!options.labels) throw badInput(`${name} holds images only: pass the labels file with --labels.`, 'labels');
      const labels = await readInputFile(options.labels, 'labels');
      return detectFormat(name, bytes) === 'npy' ? importNpy(bytes, name, labels, basename(options.labels)) : importIdx(bytes, name, labels, basename(options.labels));
    }
    case 'json': {
      const manifest = validateManifest(await readJsonFile(path, 'data manifest'), path);
      const splits = options.manifestSplits ?? Object.keys(manifest.splits);
      const base = dirname(resolve(path));
      const parts = [];
      for (const split of splits) parts.push(await loadDataset(manifest, split, (rel) => readInputFile(resolve(base, rel), 'data file')));
      return importLoadedDatasets(parts);
    }
    default:
      throw badInput(`${name}: not a dataset edgefold reads (an image folder, .zip, .npz, .npy, IDX or manifest .json).`, 'data');
  }
}

/** The model card beside a model (model.json), for class names and the training normalisation. */
async function modelCard(modelPath: string): Promise<{ classes?: string[]; preprocessing?: Preprocessing }> {
  const cardPath = modelPath.replace(/\.onnx$/i, '.json');
  if (cardPath === modelPath || !existsSync(cardPath)) return {};
  try {
    const card = JSON.parse(await readFile(cardPath, 'utf8')) as { classes?: unknown; preprocessing?: Preprocessing };
    return { classes: Array.isArray(card.classes) ? (card.classes as string[]) : undefined, preprocessing: card.preprocessing };
  } catch {
    return {};
  }
}

function preprocessingFromOptions(values: ParsedValues, base: PreprocessSpec): PreprocessSpec {
  const spec = { ...base };
  if (values.resize !== undefined) spec.resize = values.resize as PreprocessSpec['resize'];
  if (values.color !== undefined) spec.color = values.color as PreprocessSpec['color'];
  const c = spec.color === 'rgb' ? 3 : 1;
  if (spec.mean.length !== c) spec.mean = new Array(c).fill(spec.mean[0] ?? 0);
  if (spec.std.length !== c) spec.std = new Array(c).fill(spec.std[0] ?? 1);
  spec.scale = numberOption(values.scale, 'scale', -Infinity) ?? spec.scale;
  spec.mean = numberList(values.mean, 'mean', c) ?? spec.mean;
  spec.std = numberList(values.std, 'std', c) ?? spec.std;
  return spec;
}

function splitFromOptions(values: ParsedValues): SplitSpec {
  const fractions = numberList(values.split, 'split', 3);
  const seed = intOption(values.seed, 'seed', 0) ?? DEFAULT_SPLIT.seed;
  if (!fractions) return { ...DEFAULT_SPLIT, seed };
  const [calibration, training, validation] = fractions;
  return { seed, calibration, training, validation };
}

async function dumpFeatures(dir: string, result: RefitResult, meta: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { training, validation } = result.features;
  await writeFile(join(dir, 'train_x.npy'), encodeNpy(training.features, [training.count, training.dim], '<f4'));
  await writeFile(join(dir, 'train_y.npy'), encodeNpy(training.labels, [training.count], '<i8'));
  if (validation) {
    await writeFile(join(dir, 'val_x.npy'), encodeNpy(validation.features, [validation.count, validation.dim], '<f4'));
    await writeFile(join(dir, 'val_y.npy'), encodeNpy(validation.labels, [validation.count], '<i8'));
  }
  await writeFile(join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
}

/** Accuracy of the unchanged model on the validation split, when its classes map onto the model's. */
async function accuracyBefore(ort: OrtModule, bytes: Uint8Array, loaded: LoadedModel, prepared: PreparedDataset, classIds?: number[], modelClasses?: string[]) {
  const outputs = loaded.summary.outputs[0]?.shape.at(-1);
  if (typeof outputs !== 'number' || prepared.validation.count === 0) return undefined;
  const mapping = defaultLabelMapping({ classes: prepared.all.classes, classIds }, outputs, modelClasses);
  if (mapping.basis === 'none' || mapping.toModel.some((m) => m < 0)) return undefined;
  const runner = await createOrtRunner(ort, bytes);
  try {
    const result = await evaluate(runner, datasetForModel(prepared.validation, mapping), loaded.summary.inputs[0].shape, { batchSize: 256 });
    return { top1: result.top1, n: result.n, mapping: mapping.basis };
  } finally {
    await runner.release();
  }
}

export const refitHeadCommand: Command = {
  name: 'refit-head',
  summary: 'Re-fit the classifier head on your own data (image folder, .zip, .npz, manifest) and write the new model.',
  usage:
    'edgefold refit-head <model.onnx> --data <manifest.json|folder|file.zip|file.npz> -o out.onnx [--json] ' +
    '[--labels y.npy] [--split cal,train,val] [--seed N] [--weight-decay L] [--max-iter N] [--optimizer lbfgs|adam] ' +
    '[--resize none|stretch|center-crop] [--color grayscale|rgb] [--scale S] [--mean m,..] [--std s,..] ' +
    '[--manifest-split name,..] [--dump-features dir] [--engine wasm|native] [--batch N]',
  options: {
    data: { type: 'string' },
    labels: { type: 'string' },
    output: { type: 'string', short: 'o' },
    json: { type: 'boolean' },
    split: { type: 'string' },
    seed: { type: 'string' },
    'weight-decay': { type: 'string' },
    'max-iter': { type: 'string' },
    optimizer: { type: 'string' },
    resize: { type: 'string' },
    color: { type: 'string' },
    scale: { type: 'string' },
    mean: { type: 'string' },
    std: { type: 'string' },
    'manifest-split': { type: 'string' },
    'dump-features': { type: 'string' },
    engine: { type: 'string' },
    batch: { type: 'string' },
  },
  async run([modelPath], values, io: CliIO) {
    const engine = (values.engine ?? 'wasm') as EngineName;
    if (engine !== 'wasm' && engine !== 'native') throw badInput(`--engine must be "wasm" or "native", got "${engine}".`, 'engine');
    const optimizer = (values.optimizer ?? 'lbfgs') as 'lbfgs' | 'adam';
    if (optimizer !== 'lbfgs' && optimizer !== 'adam') throw badInput(`--optimizer must be "lbfgs" or "adam", got "${optimizer}".`, 'optimizer');
    const output = values.output as string | undefined;
    if (!output) throw badInput('missing -o <out.onnx>: where to write the re-fitted model.', 'output');
    const weightDecay = numberOption(values['weight-decay'], 'weight-decay', 0);
    const maxIterations = intOption(values['max-iter'], 'max-iter');
    const batchSize = intOption(values.batch, 'batch');
    const split = splitFromOptions(values);

    const { bytes, loaded } = await readModelArg(modelPath);
    const card = await modelCard(modelPath!);
    const modelClasses = modelClassNames(loaded.model) ?? card.classes;
    const data = await readDataArg(values.data as string | undefined, {
      labels: values.labels as string | undefined,
      manifestSplits: (values['manifest-split'] as string | undefined)?.split(','),
    });
    const inputShape = loaded.summary.inputs[0]?.shape ?? [];
    const spec = preprocessingFromOptions(values, defaultPreprocessing(inputShape, data, card.preprocessing));
    const prepared = await prepareDataset(data, spec, split, { inputShape });
    if (prepared.training.count === 0) throw badInput('the training split is empty: raise its fraction with --split.', 'split');
    const ort = await loadOrt(engine);
    const before = await accuracyBefore(ort, bytes, loaded, prepared, data.classIds, modelClasses);

    let lastPhase = '';
    const result = await refitHead(ort, bytes, { training: prepared.training, validation: prepared.validation }, {
      weightDecay,
      maxIterations,
      optimizer,
      batchSize,
      onProgress: (p) => {
        if (values.json || p.phase === lastPhase) return;
        lastPhase = p.phase;
        io.err(p.phase === 'features' ? 'extracting features...' : p.phase === 'training' ? 'training the head...' : 'checking the new model...');
      },
    });
    await mkdir(dirname(resolve(output)), { recursive: true });
    await writeOutputFile(output, result.modelBytes);

    const summary = {
      model: loaded.summary.name,
      output,
      engine,
      dataset: prepared.identity,
      classes: result.classes,
      head: { node: result.previousHead.node, features: result.head.features, outputsBefore: result.previousHead.outputs, outputsAfter: result.head.classes },
      optimizer,
      weightDecay: weightDecay ?? DEFAULT_WEIGHT_DECAY,
      iterations: result.iterations,
      converged: result.converged,
      train: result.train,
      validation: result.validation,
      validationTop1: result.verified?.top1,
      validationCi95: result.verified?.ci95,
      before,
      seconds: result.seconds,
      history: result.history.map((h) => ({ iteration: h.iteration, trainLoss: h.trainLoss, trainAccuracy: h.trainAccuracy, valLoss: h.valLoss, valAccuracy: h.valAccuracy })),
      warnings: prepared.warnings,
    };
    if (values['dump-features']) {
      await dumpFeatures(values['dump-features'] as string, result, {
        classes: result.classes,
        weightDecay: summary.weightDecay,
        standardize: true,
        optimizer,
        dataset: prepared.identity.id,
        tsTrainAccuracy: result.train.accuracy,
        tsValAccuracy: result.validation?.accuracy,
        tsValAccuracyOnnx: result.verified?.top1,
        tsObjective: result.history.at(-1)?.objective,
        tsIterations: result.iterations,
      });
    }
    if (values.json) {
      io.out(JSON.stringify(summary, null, 2));
      return 0;
    }
    const c = prepared.identity.counts;
    io.out(
      [
        `model       ${loaded.summary.name} -> ${output}`,
        `data        ${data.name} (${data.format}), ${c.total} images, ${result.classes.length} classes: ${result.classes.join(', ')}`,
        `split       seed ${split.seed}: ${c.training} training, ${c.validation} validation, ${c.calibration} calibration`,
        `dataset id  ${prepared.identity.id.slice(0, 16)}`,
        `head        "${result.previousHead.node}": ${result.head.features} features, ${result.previousHead.outputs} -> ${result.head.classes} outputs`,
        `training    ${optimizer}, weight decay ${summary.weightDecay}, ${result.iterations} iterations${result.converged ? ' (converged)' : ''}, ${result.seconds.training.toFixed(1)} s`,
        `train       top-1 ${pct(result.train.accuracy)} %  loss ${result.train.loss.toFixed(4)}`,
        result.verified
          ? `validation  top-1 ${pct(result.verified.top1)} %  (95 % CI ${pct(result.verified.ci95[0])} - ${pct(result.verified.ci95[1])}), ${result.verified.n} images`
          : 'validation  (no validation split)',
        before ? `before      top-1 ${pct(before.top1)} % with the original head (classes mapped by ${before.mapping})` : '',
        ...prepared.warnings.map((w) => `warning     ${w}`),
      ]
        .filter(Boolean)
        .join('\n'),
    );
    return 0;
  },
};

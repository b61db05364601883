/**
 * The fuzz harness: seeded, bounded runs of mutated models, datasets and configs through the
 * same code the CLI and the app use. A case passes when it is accepted with sane numbers or
 * refused with an EdgefoldError ('bad-input' / 'unsupported'); anything else (a raw RangeError,
 * a TypeError, NaN counts, a case over the time limit) is a failure, reported with its seed.
 * Used by test/fuzz/fuzz.test.ts (in `npm test`) and tools/fuzz.ts (the long run).
 */
import { strToU8, zipSync, gzipSync } from 'fflate';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCompressionConfig } from '../../src/core/config/compression.ts';
import { parseDeploymentConfig } from '../../src/core/config/deployment.ts';
import { importIdx, importNpy, importNpz } from '../../src/core/data/arrays.ts';
import { importImageZip } from '../../src/core/data/image-folder.ts';
import { decodeImageNode, encodePng } from '../../src/core/data/node-decoder.ts';
import { encodeNpy } from '../../src/core/data/npy.ts';
import { mulberry32, subSeed } from '../../src/core/data/random.ts';
import { defaultDesign, designContext, evaluateDesign } from '../../src/core/design/design.ts';
import { EdgefoldError } from '../../src/core/errors.ts';
import { analyzeModel } from '../../src/core/graph/index.ts';
import { parseHwFolding } from '../../src/core/hw/config.ts';
import { checkJsonValue, parseJsonText } from '../../src/core/limits.ts';
import { decodeModel, type ModelProto } from '../../src/core/onnx/model.ts';
import { BYTE_MUTATIONS, BYTE_MUTATION_NAMES, int, mutateModel, pick, type Random } from './mutate-model.ts';

export const root = resolve(import.meta.dirname, '../..');
const thirdParty = resolve(root, '../shared/fixtures/third_party');

/** The models mutated: the default model and, when present, the third-party fixtures. */
export function seedModels(): { name: string; bytes: Uint8Array; model: ModelProto }[] {
  const files = [
    resolve(root, 'public/models/dscnn-fmnist.onnx'),
    resolve(thirdParty, 'mlperf-tiny-kws-dscnn-float32.onnx'),
    resolve(thirdParty, 'ultraface-slim-320.onnx'),
  ].filter((f) => existsSync(f));
  return files.map((f) => {
    const bytes = new Uint8Array(readFileSync(f));
    return { name: f.split('/').pop()!, bytes, model: decodeModel(bytes, f) };
  });
}

export type Outcome = 'accepted' | 'refused';

export interface Failure {
  target: string;
  seed: number;
  kind: string;
  error: string;
}

export interface RunStats {
  cases: number;
  accepted: number;
  refused: number;
  failures: Failure[];
  /** Slowest case in ms, and what it was. */
  slowestMs: number;
  slowest: string;
  byTarget: Record<string, { cases: number; accepted: number; refused: number }>;
}

/** Per-case time limit (the 2 s). */
export const CASE_LIMIT_MS = 2000;

/** Whether a thrown value is the project's bad-input error type (what untrusted input may cause). */
const isRefusal = (error: unknown) => error instanceof EdgefoldError && (error.code === 'bad-input' || error.code === 'unsupported');

function checkFinite(label: string, values: Record<string, number>): void {
  for (const [key, v] of Object.entries(values)) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`${label}: ${key} is ${v}`);
  }
}

/** decode -> graph -> shapes -> layer view -> groups -> estimate, as the app opens a model. */
export function modelPipeline(bytes: Uint8Array): void {
  const loaded = analyzeModel(decodeModel(bytes, 'fuzz.onnx'), 'fuzz.onnx');
  checkFinite('summary', { params: loaded.summary.params, macs: loaded.summary.macs });
  for (const layer of loaded.layers) checkFinite(`layer ${layer.name}`, { params: layer.params, macs: layer.macs });
  const context = designContext(loaded);
  const metrics = evaluateDesign(context, defaultDesign());
  const e = metrics.estimate;
  checkFinite('estimate', { maxCycles: e.maxCycles, lut: e.totals.lut, dsp: e.totals.dsp, power: e.power.totalW });
  if (Number.isNaN(e.fps) || e.fps < 0) throw new Error(`estimate: fps is ${e.fps}`);
}

// ---- datasets ---------------------------------------------------------------------------------

function sampleImages(count: number, side: number): Uint8Array {
  return Uint8Array.from({ length: count * side * side }, (_, i) => (i * 37) % 256);
}

function npyWithHeader(header: string, body: Uint8Array): Uint8Array {
  const text = header + ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + text.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8]);
  out.set(strToU8(text), 10);
  out.set(body, 10 + text.length);
  return out;
}

const HOSTILE_DESCR = ['<f4', '|u1', '<i8', '<U0', '|S0', '<U100000', '|O', '>f8', '<f2', '', "'"];
const HOSTILE_SHAPE = ['(4, 8, 8)', '(1000000, 28, 28)', '(0, 28, 28)', '(4, 28, 0)', '(-1, 8)', '(1e400,)', '(4294967296, 4294967296)', '(4,)', '()', '(4, 8, 8, 5, 6)'];

/** A small valid dataset in every format, then mutated at the header, the bytes or the archive. */
export function datasetCase(random: Random): { kind: string; run: () => Promise<unknown> | unknown } {
  const n = 4;
  const side = 8;
  const images = sampleImages(n, side);
  const labels = [0, 1, 0, 1];
  const format = pick(random, ['npy', 'npz', 'idx', 'png-zip', 'npy-header', 'zip-bomb']);
  const bytesMutation = (b: Uint8Array) => (random() < 0.6 ? BYTE_MUTATIONS[pick(random, BYTE_MUTATION_NAMES)](b, random) : b);
  switch (format) {
    case 'npy': {
      const x = bytesMutation(encodeNpy(images, [n, side, side], '|u1'));
      const y = bytesMutation(encodeNpy(labels, [n], '<i8'));
      return { kind: format, run: () => importNpy(x, 'x.npy', y, 'y.npy') };
    }
    case 'npy-header': {
      const header = `{'descr': '${pick(random, HOSTILE_DESCR)}', 'fortran_order': ${pick(random, ['False', 'True'])}, 'shape': ${pick(random, HOSTILE_SHAPE)}, }`;
      const x = npyWithHeader(header, images.subarray(0, int(random, 0, images.length)));
      const y = encodeNpy(labels, [n], '<i8');
      return { kind: format, run: () => importNpy(x, 'x.npy', y, 'y.npy') };
    }
    case 'npz': {
      const zip = zipSync({ 'x.npy': encodeNpy(images, [n, side, side], '|u1'), 'y.npy': encodeNpy(labels, [n], '<i8') });
      const z = bytesMutation(zip);
      return { kind: format, run: () => importNpz(z, 'd.npz') };
    }
    case 'idx': {
      const idx = (dims: number[], data: Uint8Array) => {
        const out = new Uint8Array(4 + 4 * dims.length + data.length);
        out.set([0, 0, 8, dims.length]);
        const view = new DataView(out.buffer);
        dims.forEach((d, i) => view.setUint32(4 + 4 * i, d >>> 0, false));
        out.set(data, 4 + 4 * dims.length);
        return out;
      };
      const dims = random() < 0.3 ? [pick(random, [0, n, 1_000_000, 2 ** 32 - 1]), side, pick(random, [0, side, 65_535])] : [n, side, side];
      let x: Uint8Array = idx(dims, images);
      if (random() < 0.5) x = gzipSync(x);
      x = bytesMutation(x);
      const y = idx([n], Uint8Array.from(labels));
      return { kind: format, run: () => importIdx(x, 'x-idx3-ubyte.gz', y, 'y-idx1-ubyte') };
    }
    case 'png-zip': {
      const png = encodePng(side, side, 1, images.subarray(0, side * side));
      const hostile = png.slice();
      if (random() < 0.5) {
        // IHDR width and height (big-endian at 16 and 20): 0, huge, or 20000 x 20000
        const view = new DataView(hostile.buffer);
        view.setUint32(16, pick(random, [0, 1, 20_000, 2 ** 31 - 1]), false);
        view.setUint32(20, pick(random, [0, 1, 20_000, 2 ** 31 - 1]), false);
      }
      const zip = bytesMutation(zipSync({ 'a/1.png': png, 'b/2.png': hostile, 'b/3.png': png }));
      return { kind: format, run: () => importImageZip(zip, 'f.zip', decodeImageNode) };
    }
    default: {
      // 1 MiB of zeros in ~1 KiB, with its sizes and bytes mutated (unzipBounded's declared-size and running checks)
      const zip = zipSync({ 'x.npy': new Uint8Array(2 ** 20), 'y.npy': encodeNpy(labels, [n], '<i8') }, { level: 9 });
      return { kind: format, run: () => importNpz(bytesMutation(zip), 'bomb.npz') };
    }
  }
}

// ---- configs ----------------------------------------------------------------------------------

const HOSTILE_VALUES: unknown[] = [0, -1, 1e-300, 1e308, 1.5, 2 ** 53, '8', null, true, [], {}, 'x'.repeat(5000)];
const HOSTILE_TEXT = ['1e400', '-1e400', 'NaN', '"__proto__"', '{"__proto__": {"pe": 2}}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'];

function baseConfig(random: Random): { kind: string; value: Record<string, unknown> } {
  const kind = pick(random, ['compression', 'hardware', 'deployment']);
  if (kind === 'compression') {
    return { kind, value: { version: 1, prune: { criterion: 'l1', ratio: 0.25, roundTo: 4 }, quant: { weightBits: 8, activationBits: 8 }, layers: { conv1: { prune: { keep: 8 }, weightBits: 4 } } } };
  }
  if (kind === 'hardware') return { kind, value: { conv1: { pe: 2, simd: 3, mulStyle: 'dsp', memStyle: 'auto' }, fc: { pe: 1 } } };
  return { kind, value: JSON.parse(readFileSync(resolve(import.meta.dirname, 'deployment-config.json'), 'utf8')) as Record<string, unknown> };
}

function leaves(value: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) leaves(v, [...path, k], out);
  else out.push(path);
  return out;
}

/** A config with one leaf replaced by a hostile value, or one hostile text splice, then parsed. */
export function configCase(random: Random): { kind: string; run: () => unknown } {
  const { kind, value } = baseConfig(random);
  let text: string;
  if (random() < 0.6) {
    const paths = leaves(value);
    const path = pick(random, paths);
    let at = value as Record<string, unknown>;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
    at[path[path.length - 1]] = pick(random, HOSTILE_VALUES);
    text = JSON.stringify(value);
    if (random() < 0.3) text = text.replace(/"(conv1|compression|hardware)"/, '"__proto__"');
  } else {
    text = JSON.stringify(value);
    const numbers = [...text.matchAll(/-?\d+(\.\d+)?/g)];
    const m = numbers.length ? pick(random, numbers) : undefined;
    const splice = pick(random, HOSTILE_TEXT);
    text = m ? text.slice(0, m.index) + splice + text.slice(m.index! + m[0].length) : text;
  }
  return {
    kind,
    run: () => {
      const json = parseJsonText(text, 'fuzz.json');
      if (kind === 'compression') return parseCompressionConfig(json);
      if (kind === 'hardware') {
        checkJsonValue(json, 'fuzz.json');
        return parseHwFolding(json, 'layers');
      }
      return parseDeploymentConfig(json);
    },
  };
}

// ---- running --------------------------------------------------------------------------------

export interface RunOptions {
  seed: number;
  modelCases: number;
  datasetCases: number;
  configCases: number;
  onProgress?: (done: number, total: number) => void;
}

export async function runFuzz(options: RunOptions): Promise<RunStats> {
  const stats: RunStats = { cases: 0, accepted: 0, refused: 0, failures: [], slowestMs: 0, slowest: '', byTarget: {} };
  const total = options.modelCases + options.datasetCases + options.configCases;
  const record = async (target: string, seed: number, kind: string, run: () => unknown) => {
    const entry = (stats.byTarget[target] ??= { cases: 0, accepted: 0, refused: 0 });
    const start = performance.now();
    let outcome: Outcome | 'failed';
    try {
      await run();
      outcome = 'accepted';
    } catch (error) {
      if (isRefusal(error)) outcome = 'refused';
      else {
        outcome = 'failed';
        const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        stats.failures.push({ target, seed, kind, error: text.slice(0, 300) });
      }
    }
    const ms = performance.now() - start;
    if (ms > stats.slowestMs) {
      stats.slowestMs = ms;
      stats.slowest = `${target} seed ${seed} (${kind})`;
    }
    if (ms > CASE_LIMIT_MS) stats.failures.push({ target, seed, kind, error: `took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS} ms)` });
    stats.cases++;
    entry.cases++;
    if (outcome === 'accepted') {
      stats.accepted++;
      entry.accepted++;
    } else if (outcome === 'refused') {
      stats.refused++;
      entry.refused++;
    }
    if (stats.cases % 100 === 0) options.onProgress?.(stats.cases, total);
  };

  const models = seedModels();
  for (let i = 0; i < options.modelCases; i++) {
    const seed = subSeed(options.seed, i);
    const random = mulberry32(seed);
    const base = models[i % models.length];
    const { kind, bytes } = mutateModel(base.bytes, base.model, random);
    await record(base.name, seed, kind, () => modelPipeline(bytes));
  }
  for (let i = 0; i < options.datasetCases; i++) {
    const seed = subSeed(options.seed, 1_000_000 + i);
    const { kind, run } = datasetCase(mulberry32(seed));
    await record('dataset', seed, kind, run);
  }
  for (let i = 0; i < options.configCases; i++) {
    const seed = subSeed(options.seed, 2_000_000 + i);
    const { kind, run } = configCase(mulberry32(seed));
    await record('config', seed, kind, run);
  }
  return stats;
}

/** The process's peak resident set size in bytes (the "peak memory"). */
export const peakRssBytes = (): number => process.resourceUsage().maxRSS * 1024;

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { badInput } from '../../core/errors.ts';
import type { Dataset } from '../../core/eval/dataset.ts';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../../core/quant/calibrate.ts';
import { CRITERIA, type Criterion } from '../../core/prune/importance.ts';
import {
  cacheFileName,
  executeSweep,
  isPointMetrics,
  prepareSweep,
  sweepToCsv,
  sweepToJson,
  DEFAULT_BITS,
  DEFAULT_RATIOS,
  type PointMetrics,
  type SweepCache,
  type SweepProgress,
  type SweepRequest,
  type SweepResult,
} from '../../core/sensitivity/index.ts';
import { NodeSweepPool, type PoolEngine } from '../../../workers/pool.ts';
import type { CliIO, Command, ParsedValues } from '../command.ts';
import { parseQueueUrl, readQueueCa } from '../queue/connection.ts';
import { runSensitivityOnQueue } from '../queue/client.ts';
import { bundledManifestPath, intOption, readDataset, readModelArg, table, checkOutputPath, writeOutputFile } from '../io.ts';

/** The CLI's cache: one small JSON file per evaluated model in a directory. */
export class DirectoryCache implements SweepCache {
  constructor(readonly dir: string) {}
  async get(key: string): Promise<PointMetrics | undefined> {
    try {
      const entry = JSON.parse(await readFile(join(this.dir, cacheFileName(key)), 'utf8')) as { key: string; metrics: unknown };
      return entry.key === key && isPointMetrics(entry.metrics) ? entry.metrics : undefined;
    } catch {
      return undefined;
    }
  }
  async set(key: string, metrics: PointMetrics): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, cacheFileName(key));
    // Write then rename, so a killed run never leaves a half-written entry.
    await writeFile(`${file}.tmp`, JSON.stringify({ key, metrics }));
    await rename(`${file}.tmp`, file);
  }
}

export const defaultCacheDir = (): string => resolve(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'edgefold', 'sensitivity');

function numberList(value: unknown, name: string): number[] | null {
  if (value === undefined) return undefined as never;
  const text = String(value).trim();
  if (text === 'none' || text === '') return null;
  return text.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isFinite(n)) throw badInput(`--${name} takes comma-separated numbers (or "none"), got "${value}".`, name);
    return n;
  });
}

function choice<T extends string>(value: unknown, options: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined;
  if (!options.includes(value as T)) throw badInput(`--${name} must be one of ${options.join(', ')}, got "${value}".`, name);
  return value as T;
}

const list = (value: unknown) => (value === undefined ? undefined : String(value).split(',').map((s) => s.trim()).filter(Boolean));

/** Builds the sweep request from the command-line options (defaults: the full default sweep on 1,000 images). */
export function requestFromOptions(values: ParsedValues): SweepRequest {
  const ratios = values.prune === undefined ? [...DEFAULT_RATIOS] : numberList(values.prune, 'prune');
  const bits = values.bits === undefined ? [...DEFAULT_BITS] : numberList(values.bits, 'bits');
  const actBits = values['act-bits'] === undefined ? null : numberList(values['act-bits'], 'act-bits');
  const earlyStop = values['early-stop'] === undefined ? undefined : Number(values['early-stop']);
  if (earlyStop !== undefined && !(earlyStop > 0 && earlyStop <= 100)) throw badInput(`--early-stop is a top-1 drop in percentage points (e.g. 5), got "${values['early-stop']}".`, 'early-stop');
  const layers = list(values.layers);
  return {
    ...(ratios ? { prune: { ratios, roundTo: intOption(values['round-to'], 'round-to') ?? 1, criterion: choice(values.criterion, CRITERIA, 'criterion') as Criterion | undefined, groups: list(values.groups) } } : {}),
    ...(bits ? { weightBits: { bits, layers } } : {}),
    ...(actBits ? { activationBits: { bits: actBits, layers } } : {}),
    scheme: {
      granularity: choice(values.granularity, ['per-channel', 'per-tensor'] as const, 'granularity'),
      scale: choice(values.scale, ['float', 'po2'] as const, 'scale'),
      rounding: choice(values.rounding, ['half-even', 'floor'] as const, 'rounding'),
      calibration: { method: (choice(values.calibration, CALIBRATION_METHODS, 'calibration') ?? 'minmax') as CalibrationMethod, percentile: 99.99 },
    },
    limit: intOption(values.limit, 'limit') ?? 1000,
    batchSize: intOption(values.batch, 'batch'),
    ...(earlyStop !== undefined ? { earlyStop: { maxDrop: earlyStop / 100 } } : {}),
  };
}

const pct = (x: number) => (100 * x).toFixed(2);

/** Text tables: one row per curve, one column per value, top-1 in %. */
export function sweepTables(result: SweepResult): string {
  const out = [`baseline top-1 ${pct(result.baseline.top1)} % (n = ${result.baseline.n}, 95 % CI ${pct(result.baseline.ci95[0])}-${pct(result.baseline.ci95[1])})`];
  for (const kind of ['prune', 'weight-bits', 'act-bits'] as const) {
    const points = result.points.filter((p) => p.kind === kind);
    if (!points.length) continue;
    const values = [...new Set(points.map((p) => p.value))].sort((a, b) => (kind === 'prune' ? a - b : b - a));
    const layers = [...new Set(points.map((p) => p.layer))];
    const header = [kind === 'prune' ? 'group (first producer) \\ ratio' : `layer \\ ${kind === 'weight-bits' ? 'weight' : 'activation'} bits`, ...values.map(String)];
    const rows = layers.map((l) => [
      l,
      ...values.map((v) => {
        const p = points.find((x) => x.layer === l && x.value === v);
        return p?.status === 'complete' ? pct(p.metrics!.top1) : p ? 'skip' : '';
      }),
    ]);
    out.push('', table(header, rows, new Set(values.map((_, i) => i + 1))));
  }
  return out.join('\n');
}

export async function runSensitivity(
  modelBytes: Uint8Array,
  modelName: string,
  data: Dataset,
  request: SweepRequest,
  options: { workers: number; engine: PoolEngine; cache?: SweepCache; calibrationData?: Dataset; signal?: AbortSignal; onProgress?: Parameters<typeof executeSweep>[2]['onProgress'] },
): Promise<SweepResult> {
  const prepared = await prepareSweep(modelBytes, data, request, options.engine);
  const distinct = prepared.plan.units.length;
  const pool = await NodeSweepPool.start(Math.min(options.workers, distinct), options.engine, {
    modelBytes,
    modelKey: prepared.modelHash,
    data,
    calibrationData: options.calibrationData,
  });
  try {
    return await executeSweep(prepared.plan, pool.executors({ settings: prepared.plan.settings, limit: prepared.images }), {
      scope: prepared.scope,
      images: prepared.images,
      model: { name: modelName },
      data: { name: data.name, split: data.split, classes: data.classes.length },
      cache: options.cache,
      signal: options.signal,
      onProgress: options.onProgress,
    });
  } finally {
    await pool.close();
  }
}

export const sensitivityCommand: Command = {
  name: 'sensitivity',
  summary: 'Per-layer sensitivity sweeps: accuracy with one channel group pruned, or one layer quantized, at a time.',
  usage:
    'edgefold sensitivity <model.onnx> [--prune 0,0.1,...,0.9|none] [--bits 2,3,4,5,6,8|none] [--act-bits 2,...|none] [--limit N (1000)] [--workers N] [--engine wasm|native] [--queue redis[s]://host:port [--queue-ttl S] [--queue-ca ca.pem]] [--json|--csv] [-o file]',
  options: {
    prune: { type: 'string' },
    bits: { type: 'string' },
    'act-bits': { type: 'string' },
    'round-to': { type: 'string' },
    criterion: { type: 'string' },
    groups: { type: 'string' },
    layers: { type: 'string' },
    granularity: { type: 'string' },
    scale: { type: 'string' },
    rounding: { type: 'string' },
    calibration: { type: 'string' },
    'early-stop': { type: 'string' },
    limit: { type: 'string' },
    batch: { type: 'string' },
    workers: { type: 'string' },
    engine: { type: 'string' },
    data: { type: 'string' },
    split: { type: 'string' },
    'cache-dir': { type: 'string' },
    'no-cache': { type: 'boolean' },
    json: { type: 'boolean' },
    csv: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
    quiet: { type: 'boolean', short: 'q' },
    queue: { type: 'string' },
    'queue-ttl': { type: 'string' },
    'queue-ca': { type: 'string' },
  },
  async run([path], values, io: CliIO) {
    const engine = (values.engine ?? 'wasm') as PoolEngine;
    if (engine !== 'wasm' && engine !== 'native') throw badInput(`--engine must be "wasm" or "native", got "${engine}".`, 'engine');
    if (values.json && values.csv) throw badInput('Give --json or --csv, not both.', 'json');
    const request = requestFromOptions(values);
    if (!request.prune && !request.weightBits && !request.activationBits) throw badInput('Nothing to sweep: --prune, --bits and --act-bits are all "none".', 'prune');
    const queueUrl = values.queue === undefined ? undefined : parseQueueUrl(values.queue as string);
    const queueTtl = intOption(values['queue-ttl'], 'queue-ttl', 5);
    const queueCa = queueUrl ? await readQueueCa(values['queue-ca'] as string | undefined, queueUrl) : undefined;
    const workers = intOption(values.workers, 'workers') ?? (queueUrl ? undefined : availableParallelism());
    await checkOutputPath(values.output as string | undefined);
    const { bytes, loaded } = await readModelArg(path);
    const manifest = (values.data as string | undefined) ?? bundledManifestPath;
    const data = await readDataset(manifest, (values.split as string | undefined) ?? 'test');
    const calibrationData = request.activationBits ? await readDataset(manifest, 'calibration') : undefined;
    const cache = values['no-cache'] ? undefined : new DirectoryCache((values['cache-dir'] as string | undefined) ?? defaultCacheDir());
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let lastReport = 0;
    try {
      const onProgress = (p: SweepProgress) => {
        const now = performance.now();
        if (values.quiet || (now - lastReport < 2000 && p.workDone < p.workTotal)) return;
        lastReport = now;
        const left = p.etaSeconds === null ? '' : `, about ${Math.ceil(p.etaSeconds)} s left`;
        io.err(`sensitivity: ${p.pointsDone}/${p.pointsTotal} points, ${p.workTotal ? ((100 * p.workDone) / p.workTotal).toFixed(0) : 100} % of the work${left}`);
      };
      const result = queueUrl
        ? await runSensitivityOnQueue(bytes, loaded.summary.name, data, request, {
            url: queueUrl,
            engine,
            parallel: workers,
            useCache: !values['no-cache'],
            calibrationData,
            ownerTtlSeconds: queueTtl,
            ca: queueCa,
            signal: controller.signal,
            onProgress,
            log: (line) => io.err(`sensitivity: ${line}`),
          })
        : await runSensitivity(bytes, loaded.summary.name, data, request, { workers: workers!, engine, cache, calibrationData, signal: controller.signal, onProgress });
      const output = values.output as string | undefined;
      const asCsv = values.csv || (!values.json && output?.toLowerCase().endsWith('.csv'));
      const text = asCsv ? sweepToCsv(result) : values.json || output ? sweepToJson(result) : sweepTables(result);
      if (output) {
        await writeOutputFile(output, text);
        if (!values.quiet) io.out(`${sweepTables(result)}\n\nwrote ${output}`);
      } else io.out(text);
      const s = result.stats;
      if (!values.quiet) io.err(`sensitivity: ${s.evaluated} models evaluated, ${s.cached} from the cache, ${s.skipped} skipped, ${s.seconds.toFixed(1)} s with ${s.workers} worker(s) (${engine})${s.hosts ? ` on ${s.hosts.length} host(s) through the queue` : ''}, ${result.data.n} images each`);
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};

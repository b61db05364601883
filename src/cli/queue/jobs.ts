/**
 * The job format: what a client puts on the queue and a worker accepts. Jobs are untrusted input
 * to a worker: `validateJob` checks every field against the limits local files have
 * (src/core/limits.ts) and refuses unknown keys, so no job can name a path, a command or a URL;
 * blobs are named by sha256 only. A future gateway for the app submits the same objects.
 */
import { EdgefoldError, badInput, isErrorRecord, toErrorRecord, type ErrorRecord } from '../../core/errors.ts';
import { checkJsonValue, checkNumber, LIMITS, quote } from '../../core/limits.ts';
import { parseCompressionConfig, type CompressionConfig } from '../../core/config/compression.ts';
import { CALIBRATION_METHODS } from '../../core/quant/calibrate.ts';
import { OPTIMIZERS, type RetrainOptions } from '../../core/train/index.ts';
import { CRITERIA } from '../../core/prune/importance.ts';
import type { PointMetrics, SweepSettings, SweepTask } from '../../core/sensitivity/types.ts';
import { SWEEP_KINDS } from '../../core/sensitivity/types.ts';

export const JOB_VERSION = 1;

interface JobBase {
  v: typeof JOB_VERSION;
  /** The client that submitted it (its owner key in Redis must exist, or the job is dropped). */
  owner: string;
}

/** One task of a sensitivity sweep (the prefix-sharing tasks `makeTasks` builds). */
export interface SweepTaskJob extends JobBase {
  kind: 'sweep-task';
  model: string;
  data: string;
  calibration?: string;
  settings: SweepSettings;
  limit: number;
  baselineTop1?: number;
  /** The task without its id (a long join of curve ids): the worker needs only the units. */
  task: Omit<SweepTask, 'id'>;
}

/** Accuracy of a whole model on the first `limit` images. */
export interface EvalJob extends JobBase {
  kind: 'eval';
  model: string;
  data: string;
  limit?: number;
  batchSize?: number;
}

/** Does nothing: measures the queue's own per-job overhead (tools/bench). */
export interface EmptyJob extends JobBase {
  kind: 'empty';
}

/**
 * One measurement of the joint search (`FrontierJob` in src/core/design/frontier.ts): the design's
 * compression, measured (after reconstruction when `reconstruct`) on the first `limit` images.
 * The folding is not sent: it does not change accuracy.
 */
export interface FrontierPointJob extends JobBase {
  kind: 'frontier-point';
  model: string;
  data: string;
  calibration: string;
  limit: number;
  compression: CompressionConfig;
  reconstruct: boolean;
}

/** One retraining run (`edgefold retrain`): the worker uploads the retrained model as a blob. */
export interface RetrainJob extends JobBase {
  kind: 'retrain';
  model: string;
  train: string;
  calibration: string;
  evaluation?: string;
  evaluationLimit?: number;
  config: CompressionConfig;
  options: RetrainOptions;
  reconstruct: boolean;
  /** onnxruntime threads of the training and evaluation sessions (native engine): part of the recipe. */
  threads: number;
}

export type QueueJob = SweepTaskJob | EvalJob | EmptyJob | FrontierPointJob | RetrainJob;
export const JOB_KINDS = ['sweep-task', 'eval', 'empty', 'frontier-point', 'retrain'] as const;

/** What a failed job reports (BullMQ's failedReason holds it as JSON): the one error record of workers and pools. */
export type JobFailure = ErrorRecord;

/** The error as its record (an abort is `cancelled`; anything not ours `internal`). */
export const failureOf = (error: unknown): JobFailure => toErrorRecord(error);

export function parseFailure(reason: string | undefined): JobFailure {
  try {
    const f: unknown = JSON.parse(reason ?? '');
    if (isErrorRecord(f)) return f;
  } catch {
    // not ours (e.g. BullMQ's own "job stalled more than allowable limit")
  }
  return { code: 'internal', message: reason ?? 'unknown failure' };
}

// ---- validation -------------------------------------------------------------------------------

const MAX_UNITS = 10_000;
const MAX_POINTS = 10_000;
const MAX_BATCH = 4096;
const NAME = LIMITS.config.stringChars;

type Obj = Record<string, unknown>;

function object(value: unknown, path: string, required: string[], optional: string[] = []): Obj {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badInput(`job.${path} must be an object.`, path);
  const o = value as Obj;
  const allowed = new Set([...required, ...optional]);
  for (const key of Object.keys(o)) if (!allowed.has(key)) throw badInput(`job.${path} has an unknown field ${quote(key)} (jobs carry hashes and settings only).`, `${path}.${key}`);
  for (const key of required) if (o[key] === undefined) throw badInput(`job.${path} lacks the field ${quote(key)}.`, `${path}.${key}`);
  return o;
}

function string(value: unknown, path: string, max = NAME): string {
  if (typeof value !== 'string' || value.length > max) throw badInput(`job.${path} must be a string of at most ${max} characters.`, path);
  return value;
}

function oneOf<T>(value: unknown, options: readonly T[], path: string): T {
  if (!options.includes(value as T)) throw badInput(`job.${path} must be one of ${options.join(', ')}, got ${quote(value)}.`, path);
  return value as T;
}

function array(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value) || value.length > max) throw badInput(`job.${path} must be an array of at most ${max} entries.`, path);
  return value;
}

const num = (value: unknown, path: string, min: number, max: number, integer = false) => checkNumber(value, `job.${path}`, { min, max }, { integer });
const HASH = /^[0-9a-f]{64}$/;
function hash(value: unknown, path: string): string {
  if (typeof value !== 'string' || !HASH.test(value)) throw badInput(`job.${path} must be a sha256 hash (64 hex digits).`, path);
  return value;
}

function checkSettings(value: unknown): void {
  const s = object(value, 'settings', ['prune', 'weightBits', 'activationBits', 'scheme', 'batchSize', 'earlyStop']);
  if (s.prune !== null) {
    const p = object(s.prune, 'settings.prune', ['ratios', 'roundTo', 'criterion']);
    array(p.ratios, 'settings.prune.ratios', 100).forEach((r, i) => num(r, `settings.prune.ratios.${i}`, 0, 1));
    num(p.roundTo, 'settings.prune.roundTo', LIMITS.range.roundTo.min, LIMITS.range.roundTo.max, true);
    oneOf(p.criterion, CRITERIA, 'settings.prune.criterion');
  }
  for (const key of ['weightBits', 'activationBits'] as const) {
    if (s[key] !== null) array(s[key], `settings.${key}`, 32).forEach((b, i) => num(b, `settings.${key}.${i}`, 1, 32, true));
  }
  const q = object(s.scheme, 'settings.scheme', ['granularity', 'scale', 'rounding', 'calibration']);
  oneOf(q.granularity, ['per-channel', 'per-tensor'], 'settings.scheme.granularity');
  oneOf(q.scale, ['float', 'po2'], 'settings.scheme.scale');
  oneOf(q.rounding, ['half-even', 'floor'], 'settings.scheme.rounding');
  const c = object(q.calibration, 'settings.scheme.calibration', ['method', 'percentile'], ['images']);
  oneOf(c.method, CALIBRATION_METHODS, 'settings.scheme.calibration.method');
  num(c.percentile, 'settings.scheme.calibration.percentile', 0, 100);
  if (c.images !== undefined) num(c.images, 'settings.scheme.calibration.images', 1, LIMITS.data.images, true);
  num(s.batchSize, 'settings.batchSize', 1, MAX_BATCH, true);
  if (s.earlyStop !== null) num(object(s.earlyStop, 'settings.earlyStop', ['maxDrop']).maxDrop, 'settings.earlyStop.maxDrop', 0, 1);
}

/** The ranges `edgefold retrain` accepts on its command line (src/cli/commands/retrain.ts). */
export const RETRAIN_RANGES = {
  epochs: { min: 0, max: 1000 },
  batchSize: { min: 1, max: MAX_BATCH },
  lr: { min: 1e-8, max: 10 },
  weightDecay: { min: 0, max: 1 },
  momentum: { min: 0, max: 1 },
  seed: { min: 0, max: 2 ** 31 - 1 },
  kdWeight: { min: 0, max: 1 },
  kdTemperature: { min: 0.01, max: 1000 },
  warmupSteps: { min: 0, max: 1e7 },
  rangeAveraging: { min: 0, max: 1 },
  pad: { min: 0, max: 64 },
  threads: { min: 1, max: 64 },
} as const;

function checkRetrainOptions(value: unknown): void {
  const o = object(value, 'options', ['epochs', 'batchSize', 'lr', 'optimizer', 'weightDecay', 'momentum', 'seed', 'kd', 'qat', 'augment', 'warmupSteps', 'batchNorm', 'activationRanges', 'rangeAveraging'], ['limit']);
  const r = RETRAIN_RANGES;
  num(o.epochs, 'options.epochs', r.epochs.min, r.epochs.max, true);
  num(o.batchSize, 'options.batchSize', r.batchSize.min, r.batchSize.max, true);
  num(o.lr, 'options.lr', r.lr.min, r.lr.max);
  oneOf(o.optimizer, OPTIMIZERS, 'options.optimizer');
  num(o.weightDecay, 'options.weightDecay', r.weightDecay.min, r.weightDecay.max);
  num(o.momentum, 'options.momentum', r.momentum.min, r.momentum.max);
  num(o.seed, 'options.seed', r.seed.min, r.seed.max, true);
  if (o.kd !== null) {
    const kd = object(o.kd, 'options.kd', ['weight', 'temperature']);
    num(kd.weight, 'options.kd.weight', r.kdWeight.min, r.kdWeight.max);
    num(kd.temperature, 'options.kd.temperature', r.kdTemperature.min, r.kdTemperature.max);
  }
  oneOf(o.qat, [true, false], 'options.qat');
  const a = object(o.augment, 'options.augment', ['pad', 'flip']);
  num(a.pad, 'options.augment.pad', r.pad.min, r.pad.max, true);
  oneOf(a.flip, [true, false], 'options.augment.flip');
  num(o.warmupSteps, 'options.warmupSteps', r.warmupSteps.min, r.warmupSteps.max, true);
  if (o.limit !== undefined) num(o.limit, 'options.limit', 1, LIMITS.data.images, true);
  oneOf(o.batchNorm, ['train', 'frozen'], 'options.batchNorm');
  oneOf(o.activationRanges, ['fixed', 'ema', 'learned'], 'options.activationRanges');
  num(o.rangeAveraging, 'options.rangeAveraging', r.rangeAveraging.min, r.rangeAveraging.max);
}

/** A compression config as a local config file is checked (parseCompressionConfig, with its limits). */
function checkCompression(value: unknown, path: string): void {
  try {
    parseCompressionConfig(value);
  } catch (error) {
    if (error instanceof EdgefoldError) throw badInput(`job.${path}: ${error.message}`, path);
    throw error;
  }
}

function checkTask(value: unknown): void {
  const t = object(value, 'task', ['units', 'cost']);
  num(t.cost, 'task.cost', 0, Number.MAX_VALUE);
  const units = array(t.units, 'task.units', MAX_UNITS);
  if (!units.length) throw badInput('job.task.units is empty.', 'task.units');
  units.forEach((value, i) => {
    const at = `task.units.${i}`;
    const u = object(value, at, ['id', 'kind', 'target', 'base', 'cutIndex', 'points', 'cost', 'prefixCost', 'pointCost']);
    string(u.id, `${at}.id`);
    oneOf(u.kind, [...SWEEP_KINDS, 'baseline'], `${at}.kind`);
    string(u.target, `${at}.target`);
    oneOf(u.base, ['original', 'folded'], `${at}.base`);
    num(u.cutIndex, `${at}.cutIndex`, 0, LIMITS.model.nodes, true);
    for (const k of ['cost', 'prefixCost', 'pointCost']) num(u[k], `${at}.${k}`, 0, Number.MAX_VALUE);
    array(u.points, `${at}.points`, MAX_POINTS).forEach((value, j) => {
      const pt = `${at}.points.${j}`;
      const p = object(value, pt, ['kind', 'target', 'layer', 'value', 'modelKey'], ['keep', 'size']);
      oneOf(p.kind, SWEEP_KINDS, `${pt}.kind`);
      for (const k of ['target', 'layer', 'modelKey']) string(p[k], `${pt}.${k}`);
      num(p.value, `${pt}.value`, 0, 64);
      for (const k of ['keep', 'size']) if (p[k] !== undefined) num(p[k], `${pt}.${k}`, 0, LIMITS.model.dim, true);
    });
  });
}

/** Checks an untrusted job; returns it typed, or throws bad-input naming the field. */
export function validateJob(value: unknown): QueueJob {
  checkJsonValue(value, 'job');
  const peek = (value ?? {}) as Obj;
  if (peek.v !== JOB_VERSION) throw badInput(`job.v must be ${JOB_VERSION} (this worker's job format), got ${quote(peek.v)}.`, 'v');
  const kind = oneOf(peek.kind, JOB_KINDS, 'kind');
  const base = object(value, '(job)', ['v', 'kind', 'owner'], ['model', 'data', 'calibration', 'settings', 'limit', 'baselineTop1', 'task', 'batchSize', 'compression', 'reconstruct', 'train', 'evaluation', 'evaluationLimit', 'config', 'options', 'threads']);
  if (typeof base.owner !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(base.owner)) throw badInput('job.owner must be a client id (letters, digits, "_", ".", "-").', 'owner');
  if (kind === 'empty') object(value, '(job)', ['v', 'kind', 'owner']);
  if (kind === 'eval') {
    const j = object(value, '(job)', ['v', 'kind', 'owner', 'model', 'data'], ['limit', 'batchSize']);
    hash(j.model, 'model');
    hash(j.data, 'data');
    if (j.limit !== undefined) num(j.limit, 'limit', 1, LIMITS.data.images, true);
    if (j.batchSize !== undefined) num(j.batchSize, 'batchSize', 1, MAX_BATCH, true);
  }
  if (kind === 'sweep-task') {
    const j = object(value, '(job)', ['v', 'kind', 'owner', 'model', 'data', 'settings', 'limit', 'task'], ['calibration', 'baselineTop1']);
    hash(j.model, 'model');
    hash(j.data, 'data');
    if (j.calibration !== undefined) hash(j.calibration, 'calibration');
    num(j.limit, 'limit', 1, LIMITS.data.images, true);
    if (j.baselineTop1 !== undefined) num(j.baselineTop1, 'baselineTop1', 0, 1);
    checkSettings(j.settings);
    checkTask(j.task);
  }
  if (kind === 'frontier-point') {
    const j = object(value, '(job)', ['v', 'kind', 'owner', 'model', 'data', 'calibration', 'limit', 'compression', 'reconstruct']);
    for (const k of ['model', 'data', 'calibration']) hash(j[k], k);
    num(j.limit, 'limit', 1, LIMITS.data.images, true);
    oneOf(j.reconstruct, [true, false], 'reconstruct');
    checkCompression(j.compression, 'compression');
  }
  if (kind === 'retrain') {
    const j = object(value, '(job)', ['v', 'kind', 'owner', 'model', 'train', 'calibration', 'config', 'options', 'reconstruct', 'threads'], ['evaluation', 'evaluationLimit']);
    for (const k of ['model', 'train', 'calibration']) hash(j[k], k);
    if (j.evaluation !== undefined) hash(j.evaluation, 'evaluation');
    if (j.evaluationLimit !== undefined) num(j.evaluationLimit, 'evaluationLimit', 1, LIMITS.data.images, true);
    oneOf(j.reconstruct, [true, false], 'reconstruct');
    num(j.threads, 'threads', RETRAIN_RANGES.threads.min, RETRAIN_RANGES.threads.max, true);
    checkCompression(j.config, 'config');
    checkRetrainOptions(j.options);
  }
  return value as QueueJob;
}

/** Checks what a worker returned for a sweep task before the client trusts it. */
export function isTaskOutput(value: unknown): value is { results: Record<string, PointMetrics>; skipped: string[]; host: string } {
  const v = value as { results?: unknown; skipped?: unknown; host?: unknown };
  return !!v && typeof v === 'object' && !!v.results && typeof v.results === 'object' && Array.isArray(v.skipped) && typeof v.host === 'string';
}

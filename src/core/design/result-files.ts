/**
 * Result files the CLI writes, read back by the app (issue 18 section 4): a joint search
 * (`edgefold frontier --json`, also run with `--queue` on job-queue workers) and a retraining run
 * (`edgefold retrain --json`). They are untrusted input: checked here field by field, within the
 * limits of local files, before anything uses them.
 */
import { parseCompressionConfig } from '../config/compression.ts';
import { badInput, EdgefoldError } from '../errors.ts';
import { checkJsonValue, LIMITS, quote } from '../limits.ts';
import { measuredProvenance } from '../sensitivity/format.ts';
import type { Design } from './design.ts';
import type { FrontierPoint } from './frontier.ts';

/** The document `edgefold frontier --json` writes (format version 1). */
export interface FrontierFile {
  format: 'edgefold-frontier';
  version: 1;
  model: string;
  modelSha256: string;
  engine: string;
  data: { name: string; split: string; n: number };
  hosts?: string[];
  baseline: { top1: number; n: number };
  recovery: 'reconstruct' | 'none';
  measurements: number;
  points: FrontierPoint[];
  front: number[];
  warnings: string[];
}

/** The document `edgefold retrain --json` writes (format version 1); only what the app reads is typed. */
export interface RetrainFile {
  format: 'edgefold-retrain';
  version: 1;
  modelSha256: string;
  sha256: string;
  engine: string;
  hosts?: string[];
  recipe: { config: unknown; reconstruct: boolean; epochs: number; qat: boolean; optimizer: string; lr: number; batchSize: number; seed: number; kd: { weight: number; temperature: number } | null };
  data: { train: { dataset: string; split: string; images: number } };
  accuracy?: {
    compressed?: Accuracy;
    before: Accuracy;
    after: Accuracy;
  };
}
interface Accuracy {
  top1: number;
  n: number;
  ci95: [number, number];
  dataset: string;
  split: string;
}

type Obj = Record<string, unknown>;

function reader(fileName: string, what: string) {
  const fail = (why: string) => badInput(`${fileName} is not an edgefold ${what}: ${why}.`, fileName);
  const obj = (v: unknown, at: string): Obj => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw fail(`${at} must be an object`);
    return v as Obj;
  };
  const num = (v: unknown, at: string, min = -Infinity, max = Infinity): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw fail(`${at} must be a number${Number.isFinite(min) ? ` from ${min}` : ''}${Number.isFinite(max) ? ` to ${max}` : ''}, got ${quote(v)}`);
    return v;
  };
  const str = (v: unknown, at: string, max: number = LIMITS.config.stringChars): string => {
    if (typeof v !== 'string' || v.length > max) throw fail(`${at} must be a string of at most ${max} characters`);
    return v;
  };
  const bool = (v: unknown, at: string) => {
    if (typeof v !== 'boolean') throw fail(`${at} must be true or false`);
    return v;
  };
  const list = (v: unknown, at: string, max: number): unknown[] => {
    if (!Array.isArray(v) || v.length > max) throw fail(`${at} must be a list of at most ${max} entries`);
    return v;
  };
  const sha = (v: unknown, at: string) => {
    if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw fail(`${at} must be a sha256 (64 hex digits)`);
    return v;
  };
  const hosts = (v: unknown) => {
    if (v !== undefined) list(v, 'hosts', 100_000).forEach((h, i) => str(h, `hosts[${i}]`, 255));
  };
  const header = (value: unknown, format: string) => {
    checkJsonValue(value, fileName);
    const d = obj(value, 'the document');
    if (d.format !== format) throw fail(`"format" is not "${format}"`);
    if (d.version !== 1) throw fail(`version ${quote(d.version)} is not 1`);
    sha(d.modelSha256, 'modelSha256');
    str(d.engine, 'engine');
    hosts(d.hosts);
    return d;
  };
  const config = (v: unknown, at: string) => {
    try {
      parseCompressionConfig(v);
    } catch (error) {
      throw error instanceof EdgefoldError ? fail(`${at}: ${error.message}`) : error;
    }
  };
  const accuracy = (v: unknown, at: string) => {
    const a = obj(v, at);
    num(a.top1, `${at}.top1`, 0, 1);
    num(a.n, `${at}.n`, 1, LIMITS.data.images);
    list(a.ci95, `${at}.ci95`, 2).forEach((x, i) => num(x, `${at}.ci95[${i}]`, 0, 1));
    str(a.dataset, `${at}.dataset`);
    str(a.split, `${at}.split`);
  };
  return { fail, obj, num, str, bool, list, sha, header, config, accuracy };
}

function checkDesign(r: ReturnType<typeof reader>, value: unknown, at: string): Design {
  const d = r.obj(value, at);
  r.config(d.compression, `${at}.compression`);
  const hw = r.obj(d.hardware, `${at}.hardware`);
  r.str(hw.device, `${at}.hardware.device`);
  r.num(hw.clockMHz, `${at}.hardware.clockMHz`, LIMITS.range.clockMHz.min, LIMITS.range.clockMHz.max);
  r.num(hw.budget, `${at}.hardware.budget`, LIMITS.range.budget.min, LIMITS.range.budget.max);
  const layers = r.obj(hw.layers, `${at}.hardware.layers`);
  if (Object.keys(layers).length > LIMITS.model.nodes) throw r.fail(`${at}.hardware.layers has more layers than a model may have`);
  for (const [name, folding] of Object.entries(layers)) {
    const f = r.obj(folding, `${at}.hardware.layers[${quote(name)}]`);
    for (const [k, v] of Object.entries(f)) if (typeof v === 'number') r.num(v, `${at}.hardware.layers[${quote(name)}].${k}`, 0, LIMITS.model.dim);
  }
  if (d.recovery !== undefined) r.bool(r.obj(d.recovery, `${at}.recovery`).reconstruct, `${at}.recovery.reconstruct`);
  return d as unknown as Design;
}

/** Parses and checks a frontier document (`edgefold frontier --json`). */
export function parseFrontierFile(value: unknown, fileName = 'frontier'): FrontierFile {
  const r = reader(fileName, 'frontier result (edgefold frontier --json)');
  const d = r.header(value, 'edgefold-frontier');
  r.str(d.model, 'model');
  const data = r.obj(d.data, 'data');
  r.str(data.name, 'data.name');
  r.str(data.split, 'data.split');
  r.num(data.n, 'data.n', 1, LIMITS.data.images);
  const baseline = r.obj(d.baseline, 'baseline');
  r.num(baseline.top1, 'baseline.top1', 0, 1);
  r.num(baseline.n, 'baseline.n', 1, LIMITS.data.images);
  if (d.recovery !== 'reconstruct' && d.recovery !== 'none') throw r.fail('"recovery" must be "reconstruct" or "none"');
  r.num(d.measurements, 'measurements', 0, 1e6);
  const points = r.list(d.points, 'points', 12);
  points.forEach((value, i) => {
    const at = `points[${i}]`;
    const p = r.obj(value, at);
    r.str(p.label, `${at}.label`);
    r.bool(p.met, `${at}.met`);
    r.str(p.message, `${at}.message`, 2000);
    r.bool(p.recovered, `${at}.recovered`);
    const t = r.obj(p.target, `${at}.target`);
    if (t.kind !== 'max-fps' && t.kind !== 'min-resources') throw r.fail(`${at}.target.kind must be "max-fps" or "min-resources"`);
    r.num(t.maxDropPp, `${at}.target.maxDropPp`, 0, 100);
    if (t.kind === 'min-resources') r.num(t.minFps, `${at}.target.minFps`, 0);
    checkDesign(r, p.design, `${at}.design`);
    const m = r.obj(p.measured, `${at}.measured`);
    r.num(m.top1, `${at}.measured.top1`, 0, 1);
    r.num(m.n, `${at}.measured.n`, 1, LIMITS.data.images);
    r.list(m.ci95, `${at}.measured.ci95`, 2).forEach((x, j) => r.num(x, `${at}.measured.ci95[${j}]`, 0, 1));
    if (m.rawTop1 !== undefined) r.num(m.rawTop1, `${at}.measured.rawTop1`, 0, 1);
    const pr = r.obj(p.predicted, `${at}.predicted`);
    r.num(pr.top1, `${at}.predicted.top1`);
    r.num(pr.drop, `${at}.predicted.drop`);
    for (const k of ['fps', 'latencyMs', 'lut', 'ff', 'dsp', 'bram18', 'powerW', 'gopsPerWatt', 'maxUtilization', 'params', 'macs']) r.num(p[k], `${at}.${k}`, 0);
    const a = r.obj(p.allocation, `${at}.allocation`);
    r.config(a.config, `${at}.allocation.config`);
    r.list(a.steps, `${at}.allocation.steps`, 10_000).forEach((s, j) => r.str(s, `${at}.allocation.steps[${j}]`, 2000));
    r.list(p.attempts, `${at}.attempts`, 12).forEach((x, j) => r.obj(x, `${at}.attempts[${j}]`));
  });
  r.list(d.front, 'front', 12).forEach((x, i) => r.num(x, `front[${i}]`, 0, points.length - 1));
  r.list(d.warnings, 'warnings', 100).forEach((w, i) => r.str(w, `warnings[${i}]`, 2000));
  return d as unknown as FrontierFile;
}

/** Parses and checks a retraining document (`edgefold retrain --json`). */
export function parseRetrainFile(value: unknown, fileName = 'retrain'): RetrainFile {
  const r = reader(fileName, 'retraining result (edgefold retrain --json)');
  const d = r.header(value, 'edgefold-retrain');
  r.sha(d.sha256, 'sha256');
  const recipe = r.obj(d.recipe, 'recipe');
  r.config(recipe.config, 'recipe.config');
  r.bool(recipe.reconstruct, 'recipe.reconstruct');
  r.bool(recipe.qat, 'recipe.qat');
  r.num(recipe.epochs, 'recipe.epochs', 0, 1000);
  r.str(recipe.optimizer, 'recipe.optimizer');
  r.num(recipe.lr, 'recipe.lr', 0);
  r.num(recipe.batchSize, 'recipe.batchSize', 1);
  r.num(recipe.seed, 'recipe.seed', 0);
  if (recipe.kd !== null) {
    const kd = r.obj(recipe.kd, 'recipe.kd');
    r.num(kd.weight, 'recipe.kd.weight', 0, 1);
    r.num(kd.temperature, 'recipe.kd.temperature', 0);
  }
  const train = r.obj(r.obj(d.data, 'data').train, 'data.train');
  r.str(train.dataset, 'data.train.dataset');
  r.str(train.split, 'data.train.split');
  r.num(train.images, 'data.train.images', 0, LIMITS.data.images);
  if (d.accuracy === undefined) throw r.fail('it has no accuracy (it was run with --no-eval): there is nothing measured to show');
  const acc = r.obj(d.accuracy, 'accuracy');
  if (acc.compressed !== undefined) r.accuracy(acc.compressed, 'accuracy.compressed');
  r.accuracy(acc.before, 'accuracy.before');
  r.accuracy(acc.after, 'accuracy.after');
  return d as unknown as RetrainFile;
}

/** "measured on 3 hosts (job queue), engine native, 10,000 images". */
export const frontierProvenance = (f: FrontierFile): string => measuredProvenance(f.hosts, f.engine, f.data.n);
export const retrainProvenance = (f: RetrainFile): string => measuredProvenance(f.hosts, f.engine, f.accuracy!.after.n);

/** A result file applies to the open model only when it was made from exactly these bytes. */
export function resultForModel<T extends { modelSha256: string }>(file: T, modelSha256: string, fileName: string): T {
  if (file.modelSha256 !== modelSha256) {
    throw badInput(`${fileName} was made from another model (sha256 ${file.modelSha256.slice(0, 12)}…), not the open one (sha256 ${modelSha256.slice(0, 12)}…). Open that model first.`, fileName);
  }
  return file;
}

/**
 * The joint search and retraining through the job queue (`edgefold frontier --queue`, `edgefold
 * retrain --queue`): the same core code as a local run, with each design measurement, and each
 * retraining run, as one job. Same blobs, validation, retries, cancel and cleanup as the sweep's
 * jobs (client.ts, worker.ts).
 */
import { searchFrontier, type FrontierInput, type FrontierMeasurement, type FrontierOptions, type FrontierResult } from '../../core/design/frontier.ts';
import { EdgefoldError } from '../../core/errors.ts';
import type { Dataset } from '../../core/eval/dataset.ts';
import type { EvalResult } from '../../core/eval/evaluate.ts';
import type { RetrainRunInput, RetrainSummary } from '../retrain-run.ts';
import { encodeDataset, fetchBlob } from './blobs.ts';
import { withQueueClient, type QueueRunOptions } from './client.ts';
import { JOB_VERSION, type FrontierPointJob, type RetrainJob } from './jobs.ts';

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function isMeasurement(value: unknown): value is FrontierMeasurement {
  const m = value as FrontierMeasurement;
  return !!m && isNumber(m.top1) && isNumber(m.n) && Array.isArray(m.ci95) && m.ci95.length === 2 && m.ci95.every(isNumber) && (m.rawTop1 === undefined || isNumber(m.rawTop1));
}

export interface FrontierData {
  evaluation: Dataset;
  calibration: Dataset;
  /** Test images per measurement (a prefix of the split), as `--limit`. */
  limit: number;
}

/**
 * `searchFrontier` with every measurement a `frontier-point` job and the targets searched at the
 * same time; the float baseline is an `eval` job on the same images. Returns what a local search
 * returns, plus the baseline's full evaluation and the hosts that measured.
 */
export async function searchFrontierOnQueue(
  modelBytes: Uint8Array,
  input: Omit<FrontierInput, 'baseline'>,
  data: FrontierData,
  search: Omit<FrontierOptions, 'signal' | 'concurrentTargets'>,
  options: QueueRunOptions,
): Promise<{ result: FrontierResult; float: EvalResult; hosts: string[] }> {
  return withQueueClient(options, async (client) => {
    const n = Math.min(data.limit, data.evaluation.count);
    const [model, evaluation, calibration] = await Promise.all([
      client.upload(modelBytes, 'model'),
      client.upload(encodeDataset(data.evaluation, n), 'dataset'),
      client.upload(encodeDataset(data.calibration), 'dataset'),
    ]);
    const baseline = (await client.run({ v: JOB_VERSION, kind: 'eval', owner: client.owner, model, data: evaluation, limit: n, batchSize: 250 }, 'the float baseline', options.signal)) as { result?: EvalResult };
    if (!baseline?.result || !isNumber(baseline.result.top1)) throw new EdgefoldError('internal', 'A worker returned a malformed evaluation.');
    const float = baseline.result;
    const result = await searchFrontier(
      { ...input, baseline: { top1: float.top1, n: float.n } },
      {
        measure: async (request, signal) => {
          const job: FrontierPointJob = { v: JOB_VERSION, kind: 'frontier-point', owner: client.owner, model, data: evaluation, calibration, limit: n, compression: request.design.compression, reconstruct: request.reconstruct };
          const output = (await client.run(job, `the measurement of the design ${request.key}`, signal)) as { measured?: unknown };
          if (!isMeasurement(output?.measured)) throw new EdgefoldError('internal', 'A worker returned a malformed measurement.');
          return output.measured;
        },
      },
      { ...search, signal: options.signal, concurrentTargets: true },
    );
    return { result, float, hosts: [...client.hosts].sort() };
  });
}

/** A local run's input without what the worker supplies itself (its onnxruntime, the decoded model). */
export type RetrainJobInput = Omit<RetrainRunInput, 'ort' | 'native' | 'model'>;

function isRetrainOutput(value: unknown): value is { summary: RetrainSummary; model: string } {
  const v = value as { summary?: RetrainSummary; model?: unknown };
  return !!v && typeof v.model === 'string' && !!v.summary && v.summary.sha256 === v.model && Array.isArray(v.summary.epochs) && !!v.summary.data;
}

/** One retraining run as a `retrain` job; the retrained model comes back as a blob, hash-checked. */
export async function retrainOnQueue(
  modelBytes: Uint8Array,
  input: RetrainJobInput,
  options: QueueRunOptions & { onProgress?: (fraction: number, secondsLeft: number | null) => void },
): Promise<{ bytes: Uint8Array; summary: RetrainSummary; hosts: string[] }> {
  return withQueueClient(options, async (client) => {
    const trainImages = Math.min(input.options.limit ?? input.train.count, input.train.count);
    const evalImages = input.evaluation ? Math.min(input.evaluationLimit ?? input.evaluation.count, input.evaluation.count) : 0;
    const [model, train, calibration, evaluation] = await Promise.all([
      client.upload(modelBytes, 'model'),
      // Only the images the run reads are uploaded.
      client.upload(encodeDataset(input.train, trainImages), 'dataset'),
      client.upload(encodeDataset(input.calibration), 'dataset'),
      input.evaluation ? client.upload(encodeDataset(input.evaluation, evalImages), 'dataset') : Promise.resolve(undefined),
    ]);
    const job: RetrainJob = JSON.parse(
      JSON.stringify({
        v: JOB_VERSION,
        kind: 'retrain',
        owner: client.owner,
        model,
        train,
        calibration,
        ...(evaluation ? { evaluation, ...(input.evaluationLimit !== undefined ? { evaluationLimit: input.evaluationLimit } : {}) } : {}),
        config: input.config,
        options: input.options,
        reconstruct: input.reconstruct,
        threads: input.threads,
      }),
    );
    let started = 0;
    const output = await client.run(job, 'the retraining run', options.signal, (fraction) => {
      const now = performance.now();
      started ||= now;
      const elapsed = (now - started) / 1000;
      options.onProgress?.(Math.min(1, fraction), fraction > 0.02 && elapsed > 1 ? (elapsed * (1 - fraction)) / fraction : null);
    });
    if (!isRetrainOutput(output)) throw new EdgefoldError('internal', 'A worker returned a malformed retraining result.');
    const bytes = await fetchBlob(client.redis, output.model, 'model');
    return { bytes, summary: output.summary, hosts: [...client.hosts].sort() };
  });
}

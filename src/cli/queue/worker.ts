/**
 * `edgefold worker`: takes jobs from the queue and runs them with the same core code as a local
 * run. Sweep tasks run on the CLI's thread pool (workers/pool.ts, one thread per unit of
 * concurrency), so this process's event loop stays free to renew BullMQ's job locks. A job is
 * validated before anything is fetched; its blobs come by hash from Redis (size-checked before
 * download, hash-checked after) through a disk cache. Clients cancel through a Redis channel.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { EdgefoldError } from '../../core/errors.ts';
import type { Dataset } from '../../core/eval/dataset.ts';
import { loadModel } from '../../core/graph/index.ts';
import { NodeSweepPool } from '../../../workers/pool.ts';
import { runInThread } from './job-thread.ts';
import { BlobDiskCache, decodeDataset, fetchBlob, uploadBlob, type BlobKind } from './blobs.ts';
import { CANCEL_CHANNEL, connect, KEY_PREFIX, reachable, ownerKey, queueName, workersKey, type QueueEngine } from './connection.ts';
import { failureOf, parseFailure, validateJob, type QueueJob } from './jobs.ts';

export interface QueueWorkerOptions {
  url: string;
  engine: QueueEngine;
  concurrency: number;
  /**
   * How long a job's lock lasts without renewal (renewed every half of it). A worker killed mid-job
   * frees its job after this plus one stalled-check interval (set equal to it).
   */
  lockDurationMs: number;
  cacheDir: string;
  cacheBytes: number;
  /** The CA of a rediss:// server with a private certificate (--queue-ca). */
  ca?: string;
}

/** Default lock: 30 s survives event-loop pauses of a loaded host by a wide margin; a killed worker's job restarts within about a minute. */
export const DEFAULT_LOCK_MS = 30_000;
/** How often a worker says it is alive and checks that the owners of its running jobs still are. */
const HEARTBEAT_MS = 5_000;
/** Progress events at most this often per job. */
const PROGRESS_MS = 500;

const CLIENT_CANCELLED = 'the client cancelled';
const OWNER_GONE = 'its client is gone';
/** Jobs of a client that is gone or cancelled, marked with field "owner": the worker removes them instead of keeping them as failed. */
const ownerGone = (message = 'The client that submitted this job is gone.') => new UnrecoverableError(JSON.stringify({ code: 'cancelled', message, field: 'owner' }));

/** Errors that would fail again on any worker are not retried. */
function jobError(error: unknown): Error {
  const failure = failureOf(error);
  const text = JSON.stringify(failure);
  return failure.code === 'internal' ? new Error(text) : new UnrecoverableError(text);
}

export async function runQueueWorker(options: QueueWorkerOptions, log: (line: string) => void, stop: AbortSignal): Promise<void> {
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const redis = connect(options.url, `edgefold-worker-${id}`, options.ca);
  try {
    await reachable(redis, options.url);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const subscriber = connect(options.url, `edgefold-worker-${id}-cancel`, options.ca);
  const cache = new BlobDiskCache(options.cacheDir, options.cacheBytes);
  const pool = await NodeSweepPool.start(options.concurrency, options.engine);
  const freeSlots = Array.from({ length: options.concurrency }, (_, i) => i);
  const loadedKey: string[] = [];
  const active = new Map<string, { owner: string; controller: AbortController }>();
  // Decoded blobs of the last few jobs: consecutive tasks of one sweep share them.
  const memory = new Map<string, Promise<unknown>>();
  const remember = <T>(key: string, make: () => Promise<T>): Promise<T> => {
    let value = memory.get(key) as Promise<T> | undefined;
    if (!value) {
      value = make();
      value.catch(() => memory.delete(key));
      memory.set(key, value);
      while (memory.size > 6) memory.delete(memory.keys().next().value!);
    }
    return value;
  };
  const blob = (sha: string, kind: BlobKind) => fetchBlob(redis, sha, kind, cache);
  const dataset = (sha: string) => remember(`data:${sha}`, async () => decodeDataset(await blob(sha, 'dataset')));
  const modelBytes = (sha: string) => remember(`model:${sha}`, () => blob(sha, 'model'));

  const abortOwner = (owner: string, why: string) => {
    for (const [jobId, job] of active) {
      if (job.owner !== owner || job.controller.signal.aborted) continue;
      log(`worker ${id}: job ${jobId} cancelled (${why})`);
      job.controller.abort(why);
    }
  };
  await subscriber.subscribe(CANCEL_CHANNEL);
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      const { owner } = JSON.parse(message) as { owner?: unknown };
      if (typeof owner === 'string') abortOwner(owner, CLIENT_CANCELLED);
    } catch {
      // not a message of ours
    }
  });

  const run = async (job: QueueJob, signal: AbortSignal, progress: (work: number) => void): Promise<unknown> => {
    if (job.kind === 'empty') return { host: hostname() };
    if (job.kind === 'eval') {
      const [bytes, data] = await Promise.all([modelBytes(job.model), dataset(job.data)]);
      // On a thread: a long synchronous batch here would hold up the renewal of the job's lock.
      const result = await runInThread({ kind: 'eval', engine: options.engine, modelBytes: bytes, data, limit: job.limit, batchSize: job.batchSize }, signal, progress);
      return { result, host: hostname() };
    }
    if (job.kind === 'frontier-point') {
      const [bytes, evaluation, calibration] = await Promise.all([modelBytes(job.model), dataset(job.data), dataset(job.calibration)]);
      const measured = await runInThread(
        { kind: 'frontier-point', engine: options.engine, modelBytes: bytes, evaluation, calibration, limit: job.limit, compression: job.compression, reconstruct: job.reconstruct },
        signal,
        progress,
      );
      return { measured, host: hostname() };
    }
    if (job.kind === 'retrain') {
      const [bytes, train, calibration, evaluation] = await Promise.all([
        modelBytes(job.model),
        dataset(job.train),
        dataset(job.calibration),
        job.evaluation ? dataset(job.evaluation) : Promise.resolve(undefined),
      ]);
      const { summary, bytes: retrained } = await runInThread(
        {
          kind: 'retrain',
          engine: options.engine,
          modelBytes: bytes,
          train,
          calibration,
          evaluation,
          evaluationLimit: job.evaluationLimit,
          config: job.config,
          options: job.options,
          reconstruct: job.reconstruct,
          threads: job.threads,
        },
        signal,
        // Training reports a fraction of its steps; BullMQ progress is a number either way.
        progress,
      );
      // The retrained model goes back as a blob, by hash, like every model.
      const model = await uploadBlob(redis, retrained, 'model');
      return { summary, model, host: hostname() };
    }
    const [bytes, data, calibrationData] = await Promise.all([
      // Parsed here first, with the limits of local files: a model that fails fails this job, not the thread.
      remember(`checked:${job.model}`, async () => {
        const bytes = await modelBytes(job.model);
        loadModel(bytes);
        return bytes;
      }),
      dataset(job.data),
      job.calibration ? dataset(job.calibration) : Promise.resolve(undefined as Dataset | undefined),
    ]);
    const slot = freeSlots.pop();
    if (slot === undefined) throw new EdgefoldError('internal', 'no free thread (more jobs than --concurrency)');
    try {
      const key = `${job.model}|${job.data}|${job.calibration ?? ''}`;
      if (loadedKey[slot] !== key) {
        await pool.load(slot, { modelBytes: bytes, modelKey: job.model, data, calibrationData });
        loadedKey[slot] = key;
      }
      const executor = pool.executor(slot, { settings: job.settings, limit: job.limit });
      const result = await executor.runTask(
        { id: job.task.units.map((u) => u.id).join(' + '), ...job.task },
        { baselineTop1: job.baselineTop1, signal, onProgress: progress },
      );
      return { results: result.results, skipped: result.skipped, host: hostname() };
    } finally {
      freeSlots.push(slot);
    }
  };

  const workerConnection = connect(options.url, `edgefold-worker-${id}-bullmq`, options.ca);
  const janitorConnection = connect(options.url, `edgefold-worker-${id}-janitor`, options.ca);
  const worker = new Worker(
    queueName(options.engine),
    async (bullJob: Job) => {
      const jobId = bullJob.id ?? '?';
      let job: QueueJob;
      try {
        job = validateJob(bullJob.data);
      } catch (error) {
        log(`worker ${id}: job ${jobId} refused: ${(error as Error).message}`);
        throw jobError(error);
      }
      if (!(await redis.exists(ownerKey(job.owner)))) throw ownerGone();
      const controller = new AbortController();
      active.set(jobId, { owner: job.owner, controller });
      const started = performance.now();
      log(`worker ${id}: job ${jobId} started (${job.kind}${job.kind === 'sweep-task' ? `, ${job.task.units.reduce((n, u) => n + u.points.length, 0)} models` : ''})`);
      let lastAt = 0;
      const progress = (work: number) => {
        const now = performance.now();
        if (now - lastAt < PROGRESS_MS) return;
        lastAt = now;
        bullJob.updateProgress(work).catch(() => {});
      };
      try {
        const value = await run(job, controller.signal, progress);
        log(`worker ${id}: job ${jobId} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        return value;
      } catch (error) {
        // A cancelled job is removed by the worker too (the client may have stopped waiting for it): nobody will read it.
        if (controller.signal.aborted) throw ownerGone(controller.signal.reason === OWNER_GONE ? 'The client that submitted this job is gone.' : 'Cancelled by its client.');
        const failure = failureOf(error);
        log(`worker ${id}: job ${jobId} failed: ${failure.code}: ${failure.message}`);
        throw jobError(error);
      } finally {
        active.delete(jobId);
      }
    },
    {
      connection: workerConnection,
      prefix: KEY_PREFIX,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.lockDurationMs,
      // A job whose worker died twice is reported failed rather than tried forever.
      maxStalledCount: 2,
    },
  );
  worker.on('error', (error) => log(`worker ${id}: ${error.message}`));
  // Jobs of a client that is gone are removed, not kept as failed.
  worker.on('failed', (job, error) => {
    if (job && parseFailure(error.message).field === 'owner') job.remove().catch(() => {});
  });

  const queue = new Queue(queueName(options.engine), { connection: janitorConnection, prefix: KEY_PREFIX });
  const heartbeat = async () => {
    await redis.hset(workersKey(options.engine), id, `${options.concurrency} ${Date.now() + 3 * HEARTBEAT_MS}`);
    for (const { owner } of active.values()) if (!(await redis.exists(ownerKey(owner)))) abortOwner(owner, OWNER_GONE);
    // Jobs of clients that died are removed (waiting ones, and finished ones nobody will read), so none stays forever.
    for (const job of await queue.getJobs(['waiting', 'delayed', 'prioritized', 'completed', 'failed'], 0, 199)) {
      const owner = (job?.data as { owner?: unknown } | undefined)?.owner;
      if (job && (typeof owner !== 'string' || !(await redis.exists(ownerKey(owner))))) await job.remove().catch(() => {});
    }
  };
  const timer = setInterval(() => heartbeat().catch(() => {}), HEARTBEAT_MS);
  await heartbeat().catch(() => {});
  log(`worker ${id}: taking ${options.engine} jobs, concurrency ${options.concurrency}, lock ${options.lockDurationMs} ms`);

  await new Promise<void>((resolve) => (stop.aborted ? resolve() : stop.addEventListener('abort', () => resolve(), { once: true })));
  clearInterval(timer);
  if (redis.status === 'ready') {
    log(`worker ${id}: stopping (running jobs finish first)`);
    await worker.close();
    await redis.hdel(workersKey(options.engine), id).catch(() => {});
    await Promise.all([queue.close(), pool.close()]);
  } else {
    // Nothing could be saved or closed over a dead connection (ioredis would wait for it forever):
    // stop at once; running jobs restart on another worker when their locks expire.
    log(`worker ${id}: Redis is unreachable (${redis.status}); stopping without waiting for running jobs`);
    void worker.close(true).catch(() => {});
    await pool.close();
  }
  // BullMQ does not close connections it was given.
  for (const c of [redis, subscriber, workerConnection, janitorConnection]) c.disconnect();
}

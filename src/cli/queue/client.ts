/**
 * The client side of `--queue`: uploads blobs, puts jobs on the queue, follows them through the
 * queue's events (with a slow poll behind them, so a Redis restart loses nothing), and cleans up
 * after itself: Ctrl-C removes its waiting jobs and tells remote workers to abort its running
 * ones; a client that dies stops refreshing its owner key and workers drop its jobs.
 */
import { randomBytes, createHash } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { EdgefoldError } from '../../core/errors.ts';
import type { Dataset } from '../../core/eval/dataset.ts';
import type { EvalResult } from '../../core/eval/evaluate.ts';
import { isPointMetrics, type PointMetrics, type SweepCache } from '../../core/sensitivity/index.ts';
import { executeSweep, prepareSweep, type SweepExecutor } from '../../core/sensitivity/index.ts';
import type { SweepProgress, SweepRequest, SweepResult } from '../../core/sensitivity/types.ts';
import { encodeDataset, uploadBlob, type BlobKind } from './blobs.ts';
import { CANCEL_CHANNEL, connect, KEY_PREFIX, reachable, ownerKey, queueName, workersKey, type QueueEngine } from './connection.ts';
import { isTaskOutput, JOB_VERSION, parseFailure, validateJob, type QueueJob, type SweepTaskJob } from './jobs.ts';

/** Times a job that throws is tried before it is reported failed. */
export const JOB_ATTEMPTS = 3;
/** Default: jobs outlive a client that died by at most this long. */
export const DEFAULT_OWNER_TTL_SECONDS = 60;
/** Behind the events: every pending job's state is read this often (catches events missed across a reconnect). */
const POLL_MS = 2_000;
/** Results in Redis, keyed like the local cache: a point any host measured is answered at once. */
const RESULT_TTL_SECONDS = 30 * 24 * 3600;

interface Pending {
  data: QueueJob;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: (work: number) => void;
}

export class QueueClient {
  readonly owner = `c${randomBytes(8).toString('hex')}`;
  readonly hosts = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private readonly settling = new Set<string>();
  private jobs = 0;
  private timers: NodeJS.Timeout[] = [];
  /** Connections handed to BullMQ: it does not close connections it was given. */
  private readonly connections: Redis[] = [];

  private constructor(
    readonly redis: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    readonly engine: QueueEngine,
    private readonly ownerTtlSeconds: number,
  ) {}

  /** `ca`: the CA of a rediss:// server with a private certificate (--queue-ca). */
  static async open(url: string, engine: QueueEngine, ownerTtlSeconds = DEFAULT_OWNER_TTL_SECONDS, ca?: string): Promise<QueueClient> {
    const redis = connect(url, 'edgefold-client', ca);
    try {
      await reachable(redis, url);
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    const queueConnection = connect(url, 'edgefold-client-queue', ca);
    const eventsConnection = connect(url, 'edgefold-client-events', ca);
    const queue = new Queue(queueName(engine), { connection: queueConnection, prefix: KEY_PREFIX });
    const events = new QueueEvents(queueName(engine), { connection: eventsConnection, prefix: KEY_PREFIX });
    await Promise.all([redis.ping(), queue.waitUntilReady(), events.waitUntilReady()]);
    const client = new QueueClient(redis, queue, events, engine, ownerTtlSeconds);
    client.connections.push(queueConnection, eventsConnection);
    await client.beat();
    client.timers.push(setInterval(() => client.beat().catch(() => {}), (ownerTtlSeconds * 1000) / 3));
    client.timers.push(setInterval(() => client.poll().catch(() => {}), POLL_MS));
    events.on('progress', ({ jobId, data }) => typeof data === 'number' && client.pending.get(jobId)?.onProgress?.(data));
    events.on('completed', ({ jobId }) => void client.settle(jobId).catch(() => {}));
    events.on('failed', ({ jobId }) => void client.settle(jobId).catch(() => {}));
    return client;
  }

  private beat(): Promise<unknown> {
    return this.redis.set(ownerKey(this.owner), '1', 'EX', this.ownerTtlSeconds);
  }

  /** Sum of the concurrency of the workers alive on this engine's queue. */
  async workerSlots(): Promise<number> {
    const now = Date.now();
    const all = await this.redis.hgetall(workersKey(this.engine));
    return Object.values(all).reduce((n, v) => {
      const [slots, until] = v.split(' ').map(Number);
      return until > now && slots > 0 ? n + slots : n;
    }, 0);
  }

  upload(bytes: Uint8Array, kind: BlobKind): Promise<string> {
    return uploadBlob(this.redis, bytes, kind);
  }

  /** Puts one job on the queue and resolves with what its worker returned. */
  submit(data: QueueJob, onProgress?: (work: number) => void): Promise<unknown> {
    const jobId = `${this.owner}-${++this.jobs}`;
    return new Promise((resolve, reject) => {
      // Checked here too: a job the workers would refuse is refused before it is sent.
      try {
        validateJob(data);
      } catch (error) {
        reject(error as Error);
        return;
      }
      this.pending.set(jobId, { data, resolve, reject, onProgress });
      this.add(jobId, data).catch((error: Error) => {
        this.pending.delete(jobId);
        reject(error);
      });
    });
  }

  private add(jobId: string, data: QueueJob) {
    return this.queue.add(data.kind, data, {
      jobId,
      attempts: JOB_ATTEMPTS,
      backoff: { type: 'fixed', delay: 1000 },
      // The client removes its jobs once it has read them; these only bound what a crash leaves.
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 24 * 3600 },
    });
  }

  /** Reads a finished job's outcome and removes the job. */
  private async settle(jobId: string): Promise<void> {
    const p = this.pending.get(jobId);
    // One settle per job at a time: a second one could find the job just removed and put it back.
    if (!p || this.settling.has(jobId)) return;
    this.settling.add(jobId);
    try {
      await this.settleOnce(jobId, p);
    } finally {
      this.settling.delete(jobId);
    }
  }

  private async settleOnce(jobId: string, p: Pending): Promise<void> {
    // State first, then the job: read the other way round, a job that finishes between the two
    // reads is seen "completed" with the return value it had while still active (none).
    const state = await this.queue.getJobState(jobId);
    if (this.pending.get(jobId) !== p) return;
    if (state === 'unknown') {
      // Gone (Redis lost it, e.g. restarted without persistence): put it back.
      await this.add(jobId, p.data);
      return;
    }
    if (state !== 'completed' && state !== 'failed') return;
    const job = await Job.fromId(this.queue, jobId);
    if (!job || this.pending.get(jobId) !== p) return;
    this.pending.delete(jobId);
    await job.remove().catch(() => {});
    if (state === 'completed') {
      const host = (job.returnvalue as { host?: unknown })?.host;
      if (typeof host === 'string') this.hosts.add(host);
      p.resolve(job.returnvalue);
    } else {
      const f = parseFailure(job.failedReason);
      p.reject(Object.assign(new EdgefoldError(f.code, f.message, f.field), { jobId }));
    }
  }

  private async poll(): Promise<void> {
    for (const jobId of [...this.pending.keys()]) await this.settle(jobId);
  }

  /**
   * Ctrl-C and failures: the owner key goes first (workers then drop this client's jobs), remote
   * workers are told on the cancel channel, waiting jobs are removed, and running ones are waited
   * for until their workers report them cancelled (bounded), then removed too.
   */
  async cancelAll(waitMs = 20_000): Promise<void> {
    await this.redis.del(ownerKey(this.owner));
    await this.redis.publish(CANCEL_CHANNEL, JSON.stringify({ owner: this.owner }));
    const ids = new Set(this.pending.keys());
    for (const p of this.pending.values()) p.reject(new EdgefoldError('cancelled', 'Cancelled.'));
    this.pending.clear();
    const until = Date.now() + waitMs;
    while (ids.size && Date.now() < until) {
      for (const jobId of [...ids]) {
        const job = await Job.fromId(this.queue, jobId);
        if (!job) {
          ids.delete(jobId);
          continue;
        }
        const state = await job.getState();
        if (state === 'active') continue;
        await job.remove().then(
          () => ids.delete(jobId),
          () => {},
        );
      }
      if (ids.size) await new Promise((r) => setTimeout(r, 200));
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.redis.del(ownerKey(this.owner)).catch(() => {});
    await Promise.all([this.events.close(), this.queue.close()]);
    for (const c of [this.redis, ...this.connections]) c.disconnect();
  }

  /**
   * `submit` that stops waiting when `signal` aborts (then rejects "Cancelled."), and names the job
   * and `what` it computed when it fails.
   */
  async run(data: QueueJob, what: string, signal?: AbortSignal, onProgress?: (work: number) => void): Promise<unknown> {
    if (signal?.aborted) throw new EdgefoldError('cancelled', 'Cancelled.');
    const cancelled = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new EdgefoldError('cancelled', 'Cancelled.')), { once: true }));
    return Promise.race([this.submit(data, onProgress), cancelled]).catch((error: Error & { jobId?: string }) => {
      if (error instanceof EdgefoldError && error.code === 'cancelled' && signal?.aborted) throw error;
      throw new EdgefoldError(error instanceof EdgefoldError ? error.code : 'internal', `job ${error.jobId ?? '?'} failed (${error.message}); ${what}`);
    });
  }

  /** Executors for executeSweep: each runs one task at a time as a job. */
  executors(count: number, common: Omit<SweepTaskJob, 'v' | 'kind' | 'owner' | 'task' | 'baselineTop1'>): SweepExecutor[] {
    return Array.from({ length: Math.max(1, count) }, () => ({
      runTask: async (task, { baselineTop1, onProgress, signal }) => {
        if (signal.aborted) throw new EdgefoldError('cancelled', 'Cancelled.');
        const started = performance.now();
        const job: SweepTaskJob = {
          v: JOB_VERSION,
          kind: 'sweep-task',
          owner: this.owner,
          ...common,
          ...(baselineTop1 !== undefined ? { baselineTop1 } : {}),
          task: { units: task.units, cost: task.cost },
        };
        const points = task.units.flatMap((u) => u.points.map((p) => `${p.kind} ${p.target} ${p.value}`));
        const output = await this.run(job, `its points: ${points.join(', ')}`, signal, onProgress);
        if (!isTaskOutput(output) || !Object.values(output.results).every(isPointMetrics)) throw new EdgefoldError('internal', `A worker returned a malformed result for ${task.id}.`);
        return { task: task.id, results: output.results, skipped: output.skipped, seconds: (performance.now() - started) / 1000 };
      },
    }));
  }

  /** Whole-model accuracy as one job (edgefold eval --queue). */
  async evaluate(modelBytes: Uint8Array, data: Dataset, options: { limit?: number; batchSize?: number }): Promise<EvalResult> {
    const n = Math.min(options.limit ?? data.count, data.count);
    const [model, dataSha] = await Promise.all([this.upload(modelBytes, 'model'), this.upload(encodeDataset(data, n), 'dataset')]);
    const output = (await this.submit({ v: JOB_VERSION, kind: 'eval', owner: this.owner, model, data: dataSha, ...options })) as { result?: EvalResult };
    if (!output?.result || typeof output.result.top1 !== 'number') throw new EdgefoldError('internal', 'A worker returned a malformed evaluation.');
    return output.result;
  }
}

/** The sweep result cache in Redis (shared by every client of that Redis). */
export class RedisSweepCache implements SweepCache {
  constructor(private readonly redis: Redis) {}
  private key(key: string) {
    return `${KEY_PREFIX}:result:${createHash('sha256').update(key).digest('hex')}`;
  }
  async get(key: string): Promise<PointMetrics | undefined> {
    const text = await this.redis.get(this.key(key));
    try {
      const entry = JSON.parse(text ?? '') as { key: string; metrics: unknown };
      return entry.key === key && isPointMetrics(entry.metrics) ? entry.metrics : undefined;
    } catch {
      return undefined;
    }
  }
  async set(key: string, metrics: PointMetrics): Promise<void> {
    await this.redis.set(this.key(key), JSON.stringify({ key, metrics }), 'EX', RESULT_TTL_SECONDS);
  }
}

/** What every `--queue` run needs: where the queue is, the engine, and the client's own lifetime. */
export interface QueueRunOptions {
  url: string;
  engine: QueueEngine;
  ownerTtlSeconds?: number;
  /** The CA of a rediss:// server with a private certificate (--queue-ca). */
  ca?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Opens a client, runs `work`, and on a failure or a cancel removes the client's jobs; closes it in any case. */
export async function withQueueClient<T>(options: QueueRunOptions, work: (client: QueueClient) => Promise<T>): Promise<T> {
  const client = await QueueClient.open(options.url, options.engine, options.ownerTtlSeconds, options.ca);
  try {
    if (!(await client.workerSlots())) options.log?.(`no ${options.engine} worker is connected yet; the jobs wait for one (start: edgefold worker --queue URL --engine ${options.engine})`);
    try {
      return await work(client);
    } catch (error) {
      await client.cancelAll();
      throw error;
    }
  } finally {
    await client.close();
  }
}

export interface QueuedSweepOptions extends QueueRunOptions {
  /** Tasks to cut the sweep into, as for that many local workers (default: the live workers' slots). */
  parallel?: number;
  useCache: boolean;
  calibrationData?: Dataset;
  onProgress?: (progress: SweepProgress) => void;
}

/** A sensitivity sweep whose tasks run as jobs: the same plan, tasks and result document as a local run. */
export async function runSensitivityOnQueue(modelBytes: Uint8Array, modelName: string, data: Dataset, request: SweepRequest, options: QueuedSweepOptions): Promise<SweepResult> {
  const prepared = await prepareSweep(modelBytes, data, request, options.engine);
  return withQueueClient(options, async (client) => {
    const slots = await client.workerSlots();
    const parallel = Math.min(options.parallel ?? Math.max(1, slots), prepared.plan.units.length);
    const [model, dataSha, calibration] = await Promise.all([
      client.upload(modelBytes, 'model'),
      client.upload(encodeDataset(data, prepared.images), 'dataset'),
      options.calibrationData ? client.upload(encodeDataset(options.calibrationData), 'dataset') : Promise.resolve(undefined),
    ]);
    const executors = client.executors(parallel, { model, data: dataSha, ...(calibration ? { calibration } : {}), settings: prepared.plan.settings, limit: prepared.images });
    const result = await executeSweep(prepared.plan, executors, {
      scope: prepared.scope,
      images: prepared.images,
      model: { name: modelName },
      data: { name: data.name, split: data.split, classes: data.classes.length },
      cache: options.useCache ? new RedisSweepCache(client.redis) : undefined,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    return { ...result, stats: { ...result.stats, hosts: [...client.hosts].sort() } };
  });
}

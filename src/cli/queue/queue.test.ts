/**
 * The job queue end to end: a real redis-server (append-only file on) on a free loopback port,
 * real `edgefold worker` processes and real `edgefold sensitivity --queue` clients. Every process
 * started here is stopped here, by its own id. A reduced sweep (100 images) keeps it short.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type Proc } from '../../../test/cli-procs.ts';
import { openQueueHarness, type QueueHarness } from '../../../test/queue-harness.ts';
import { DEFAULT_MODEL, defaultModelMissing } from '../../../test/fixtures.ts';
import { redisMissing, redisSkipReason, type RedisServer } from '../../../tools/redis-server.ts';
import { parseSweepResult, sweepProvenance } from '../../core/sensitivity/format.ts';
import type { SweepResult } from '../../core/sensitivity/types.ts';
import { CHUNK_BYTES, encodeDataset, uploadBlob } from './blobs.ts';
import { KEY_PREFIX, ownerKey } from './connection.ts';
import { validateJob } from './jobs.ts';

const SWEEP = ['--prune', '0.5', '--bits', '4', '--limit', '100', '--workers', '2', '--no-cache', '-q'];
/** Short locks so a killed worker's job restarts in seconds here (the default is 30 s: docs/queue.md). */
const LOCK_MS = '3000';

if (redisMissing) console.warn(`queue tests skipped: ${redisSkipReason}`);

const stripStats = (r: SweepResult) => ({ ...r, stats: undefined });

describe.skipIf(redisMissing || defaultModelMissing)('sweeps on the job queue (BullMQ, real redis-server)', () => {
  let harness: QueueHarness;
  let redis: RedisServer;
  let tmp: string;
  let local: SweepResult;
  let workers: Proc[];
  let admin: Redis;
  let queue: Queue;
  let watch: QueueHarness['watch'];
  const startWorker = () => harness.startWorker(LOCK_MS);
  const client = (out: string, extra: string[] = []) => start(['sensitivity', DEFAULT_MODEL, ...SWEEP, '--queue', redis.url, '-o', join(tmp, out), ...extra]);
  const readResult = (out: string) => JSON.parse(readFileSync(join(tmp, out), 'utf8')) as SweepResult;
  const jobCounts = () => watch.jobCounts();
  const emptyWithin = (ms: number) => watch.emptyWithin(ms);
  const countsText = async () => {
    const jobs = await queue.getJobs(['active', 'completed', 'failed', 'waiting', 'delayed'], 0, 20);
    const owners = await Promise.all(jobs.map(async (j) => `${j.id} ${await j.getState()} owner alive: ${await admin.exists(ownerKey((j.data as { owner: string }).owner))}`));
    return `${JSON.stringify(await queue.getJobCounts())} ${owners.join('; ')}`;
  };

  beforeAll(async () => {
    harness = await openQueueHarness('wasm', { appendonly: true, tmpPrefix: 'edgefold-queue-' });
    ({ tmp, redis, admin, queue, watch, workers } = harness);
    // The reference: the same sweep on the local two-thread pool.
    const ref = start(['sensitivity', DEFAULT_MODEL, ...SWEEP, '-o', join(tmp, 'local.json')]);
    await Promise.all([ref.exited, startWorker(), startWorker()]);
    local = readResult('local.json');
  }, 180_000);

  afterAll(() => harness?.close(), 60_000);

  it('a reduced sweep through the queue on two worker processes equals the local run point for point', async () => {
    const c = client('queued.json');
    expect(await c.exited, c.log()).toBe(0);
    const queued = readResult('queued.json');
    expect(stripStats(queued)).toEqual(stripStats(local));
    expect(queued.points.length).toBeGreaterThan(10);
    expect(queued.stats.hosts?.length).toBe(1);
    // The document reads back as any sweep does, and says where it was measured.
    expect(sweepProvenance(parseSweepResult(queued))).toBe('measured on 1 host (job queue), engine wasm, 100 images');
    expect(sweepProvenance(local)).toBe('measured on this machine, engine wasm, 100 images');
    // Both workers took jobs, and the client removed every job it read.
    for (const w of workers) expect(w.log()).toMatch(/done in/);
    expect(await jobCounts()).toBe(0);
  }, 120_000);

  it('eval --queue prints the same evaluation as a local eval (speed aside)', async () => {
    const args = ['eval', DEFAULT_MODEL, '--limit', '100', '--json'];
    const [here, queued] = [start(args), start([...args, '--queue', redis.url])];
    expect(await here.exited, here.log()).toBe(0);
    expect(await queued.exited, queued.log()).toBe(0);
    const parse = (p: Proc) => {
      const { imagesPerSecond, seconds, ...rest } = JSON.parse(p.log()) as Record<string, unknown>;
      expect(imagesPerSecond).toBeGreaterThan(0);
      expect(seconds).toBeGreaterThan(0);
      return rest;
    };
    const a = parse(here);
    expect(a.n).toBe(100);
    expect(parse(queued)).toEqual(a);
  }, 120_000);

  it('a worker killed with kill -9 mid-sweep: its job runs again elsewhere, every point arrives exactly once', async () => {
    const [victim] = workers;
    const before = victim.log().length;
    const c = client('killed.json');
    await victim.waitFor(/started/, before);
    process.kill(victim.child.pid!, 'SIGKILL');
    await victim.exited;
    const killedJob = /job (\S+) started/.exec(victim.log().slice(before))![1];
    expect(await c.exited, c.log()).toBe(0);
    const result = readResult('killed.json');
    expect(stripStats(result)).toEqual(stripStats(local));
    const keys = result.points.map((p) => `${p.kind}|${p.target}|${p.value}`);
    expect(new Set(keys).size).toBe(keys.length);
    // The killed worker's job ran again, on the other worker, after its lock expired.
    expect(workers.find((w) => w !== victim)!.log()).toMatch(new RegExp(`job ${killedJob} started[\\s\\S]*job ${killedJob} done`));
    workers.splice(workers.indexOf(victim), 1);
    await startWorker();
  }, 120_000);

  it('Redis restarted mid-sweep (append-only file on): clients and workers reconnect and the sweep completes', async () => {
    const befores = workers.map((w) => w.log().length);
    const c = client('restart.json');
    // Restart once some jobs are done and others are running or waiting.
    await Promise.race(workers.map((w, i) => w.waitFor(/done in[\s\S]*started/, befores[i])));
    await redis.restart();
    expect(await c.exited, c.log()).toBe(0);
    expect(stripStats(readResult('restart.json'))).toEqual(stripStats(local));
  }, 150_000);

  it('poisoned jobs (bad hash, huge blob, schema violation) fail with structured errors, untried again, and the sweep beside them completes', async () => {
    const owner = 'poison-test';
    await admin.set(ownerKey(owner), '1', 'EX', 300);
    const fake = 'ab'.repeat(32);
    const huge = 'cd'.repeat(32);
    // A blob whose bytes do not hash to its name, and one that claims 10 GiB (never downloaded: no chunks exist).
    await admin.set(`${KEY_PREFIX}:blob:${fake}:0`, Buffer.from('not the model'));
    await admin.hset(`${KEY_PREFIX}:blob:${fake}`, { size: 13, chunks: 1, kind: 'model' });
    await admin.hset(`${KEY_PREFIX}:blob:${huge}`, { size: 10 * 2 ** 30, chunks: Math.ceil((10 * 2 ** 30) / CHUNK_BYTES), kind: 'model' });
    // A model blob with a true hash whose bytes are not ONNX, with a valid dataset: refused before it reaches a sweep thread.
    const garbage = await uploadBlob(admin, new TextEncoder().encode('this is not an ONNX model'), 'model');
    const tiny = await uploadBlob(
      admin,
      encodeDataset({ name: 't', split: 'test', count: 1, shape: [1, 28, 28], classes: ['a', 'b'], pixels: new Uint8Array(784), labels: new Uint8Array(1), preprocessing: { scale: 1 / 255, mean: [0], std: [1] } }),
      'dataset',
    );
    const settings = { prune: null, weightBits: [4], activationBits: null, scheme: { granularity: 'per-channel', scale: 'float', rounding: 'half-even', calibration: { method: 'minmax', percentile: 99.99 } }, batchSize: 100, earlyStop: null };
    const unit = { id: 'u', kind: 'weight-bits', target: 'x', base: 'folded', cutIndex: 0, points: [], cost: 1, prefixCost: 0, pointCost: 1 };
    const base = { v: 1, kind: 'eval', owner };
    const opts = { attempts: 3, removeOnFail: false };
    const poisoned = await Promise.all([
      queue.add('eval', { ...base, model: fake, data: fake }, { ...opts, jobId: 'poison-hash' }),
      queue.add('eval', { ...base, model: huge, data: huge }, { ...opts, jobId: 'poison-huge' }),
      queue.add('eval', { ...base, model: fake, data: fake, path: '/etc/passwd' }, { ...opts, jobId: 'poison-schema' }),
      queue.add('exec', { ...base, kind: 'exec', command: 'rm -rf /' }, { ...opts, jobId: 'poison-kind' }),
      queue.add('sweep-task', { v: 1, kind: 'sweep-task', owner, model: garbage, data: tiny, settings, limit: 1, task: { cost: 1, units: [unit] } }, { ...opts, jobId: 'poison-model' }),
    ]);
    const c = client('poison.json');
    expect(await c.exited, c.log()).toBe(0);
    expect(stripStats(readResult('poison.json'))).toEqual(stripStats(local));
    const expected: Record<string, RegExp> = {
      'poison-hash': /does not hash to/,
      'poison-huge': /claims 10737418240 bytes.*Not downloaded/,
      'poison-schema': /unknown field "path"/,
      'poison-kind': /job.kind must be one of/,
      'poison-model': /is not an ONNX model/,
    };
    for (const job of poisoned) {
      await watch.refusedOnce(job, expected[job.id!]);
    }
    await admin.del(ownerKey(owner));
  }, 120_000);

  it('Ctrl-C: the client removes its waiting jobs, remote workers abort the running ones, the queue is left empty', async () => {
    const befores = workers.map((w) => w.log().length);
    const c = start(['sensitivity', DEFAULT_MODEL, '--prune', '0.25,0.5,0.75', '--bits', '3,4', '--limit', '1000', '--workers', '4', '--no-cache', '--queue', redis.url]);
    await Promise.race(workers.map((w, i) => w.waitFor(/started/, befores[i])));
    process.kill(c.child.pid!, 'SIGINT');
    expect(await c.exited).toBe(1);
    expect(c.log()).toMatch(/Cancelled/);
    expect(workers.map((w) => w.log()).join('\n')).toMatch(/cancelled \(the client cancelled\)/);
    // The client waits (bounded) for the aborts; a worker that is slower removes the job itself when it stops.
    expect(await emptyWithin(10_000), await countsText()).toBe(0);
  }, 120_000);

  it('a client that dies leaves no jobs behind: its owner key expires and workers drop its jobs', async () => {
    const befores = workers.map((w) => w.log().length);
    const c = start(['sensitivity', DEFAULT_MODEL, '--prune', '0.25,0.5,0.75', '--bits', '3,4', '--limit', '1000', '--workers', '4', '--no-cache', '--queue', redis.url, '--queue-ttl', '5']);
    await Promise.race(workers.map((w, i) => w.waitFor(/started/, befores[i])));
    process.kill(c.child.pid!, 'SIGKILL');
    await c.exited;
    expect(await jobCounts()).toBeGreaterThan(0);
    expect(await emptyWithin(30_000), await countsText()).toBe(0);
  }, 90_000);
});

describe('job validation', () => {
  it('refuses unknown fields, paths and bad hashes, naming the field', () => {
    const ok = { v: 1, kind: 'eval', owner: 'c1', model: 'a'.repeat(64), data: 'b'.repeat(64) };
    expect(validateJob(ok)).toEqual(ok);
    expect(() => validateJob({ ...ok, url: 'http://x' })).toThrow(/unknown field "url"/);
    expect(() => validateJob({ ...ok, model: '../model.onnx' })).toThrow(/job.model must be a sha256/);
    expect(() => validateJob({ ...ok, owner: 'a b' })).toThrow(/job.owner/);
    expect(() => validateJob({ ...ok, limit: 1e9 })).toThrow(/job.limit must be an integer from 1 to 500000/);
    expect(() => validateJob({ v: 2, kind: 'empty', owner: 'c1' })).toThrow(/job.v must be 1/);
    expect(() => validateJob({ v: 1, kind: 'shell', owner: 'c1' })).toThrow(/job.kind must be one of/);
  });

  it('a sweep document with a malformed host list is refused', () => {
    const doc = { format: 'edgefold-sensitivity', version: 1, baseline: { top1: 0.9 }, points: [], groups: [], layers: [], settings: { scheme: {} }, engine: 'wasm', data: { n: 10 } };
    expect(() => parseSweepResult({ ...doc, stats: { hosts: [42] } })).toThrow(/stats.hosts/);
    expect(sweepProvenance(parseSweepResult({ ...doc, stats: { hosts: ['a', 'b'] } }))).toBe('measured on 2 hosts (job queue), engine wasm, 10 images');
  });
});

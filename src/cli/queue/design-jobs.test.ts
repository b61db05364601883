/**
 * The joint search and retraining on the job queue end to end: a real redis-server, two real
 * `edgefold worker --engine native` processes, and `edgefold frontier|retrain --queue` clients
 * compared with the same commands run locally. Every process started here is stopped here, by
 * its own id. Small runs (100 test images, 256 training images) keep it short.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type Proc } from '../../../test/cli-procs.ts';
import { openQueueHarness, type QueueHarness } from '../../../test/queue-harness.ts';
import { DEFAULT_MODEL, defaultModelMissing } from '../../../test/fixtures.ts';
import { redisMissing, redisSkipReason, type RedisServer } from '../../../tools/redis-server.ts';
import { ownerKey } from './connection.ts';
import { validateJob } from './jobs.ts';

const LOCK_MS = '5000';
const FRONTIER = ['--targets', '0.5,10', '--steps', '2', '--limit', '100', '--engine', 'native', '--json'];
const RETRAIN = ['--epochs', '1', '--train-limit', '256', '--batch', '64', '--limit', '100', '--seed', '9', '--json'];

if (redisMissing) console.warn(`frontier/retrain queue tests skipped: ${redisSkipReason}`);

/** What differs between two runs of the same retraining: timings, where the file went, the hosts. */
function retrainNumbers(text: string) {
  const { trainSeconds, imagesPerSecond, output, hosts, epochs, ...rest } = JSON.parse(text);
  expect(trainSeconds).toBeGreaterThan(0);
  expect(imagesPerSecond).toBeGreaterThan(0);
  void output;
  void hosts;
  return { ...rest, epochs: epochs.map(({ seconds, ...e }: { seconds: number }) => (expect(seconds).toBeGreaterThan(0), e)) };
}

describe.skipIf(redisMissing || defaultModelMissing)('frontier and retrain on the job queue (BullMQ, real redis-server, native workers)', () => {
  let harness: QueueHarness;
  let redis: RedisServer;
  let tmp: string;
  let sweep: string;
  let config: string;
  let localFrontier: Record<string, unknown>;
  let localRetrain: Proc;
  let workers: Proc[];
  let admin: Redis;
  let queue: Queue;
  let watch: QueueHarness['watch'];
  const jobCounts = () => watch.jobCounts();
  const emptyWithin = (ms: number) => watch.emptyWithin(ms);

  beforeAll(async () => {
    harness = await openQueueHarness('native', { tmpPrefix: 'edgefold-design-jobs-' });
    ({ tmp, redis, admin, queue, watch, workers } = harness);
    sweep = join(tmp, 'sweep.json');
    config = join(tmp, 'p25.json');
    writeFileSync(config, JSON.stringify({ version: 1, prune: { ratio: 0.25 } }));
    const workersReady = Promise.all([harness.startWorker(LOCK_MS), harness.startWorker(LOCK_MS)]);
    const s = start(['sensitivity', DEFAULT_MODEL, '--prune', '0.25,0.5', '--groups', '/blocks/blocks.4/pw/conv/Conv,/blocks/blocks.2/pw/conv/Conv', '--bits', '8,4', '--layers', '/blocks/blocks.5/pw/conv/Conv', '--limit', '100', '--engine', 'native', '--no-cache', '-q', '-o', sweep]);
    expect(await s.exited, s.log()).toBe(0);
    // The references: the same commands run in this process's host, no queue.
    const f = start(['frontier', DEFAULT_MODEL, '--sweep', sweep, ...FRONTIER]);
    localRetrain = start(['retrain', DEFAULT_MODEL, '--config', config, '-o', join(tmp, 'local.onnx'), ...RETRAIN]);
    expect(await f.exited, f.log()).toBe(0);
    localFrontier = JSON.parse(f.out());
    expect(await localRetrain.exited, localRetrain.log()).toBe(0);
    await workersReady;
  }, 300_000);

  afterAll(() => harness?.close(), 60_000);

  it('frontier --queue: one job per design measurement, targets at once on both workers, the same JSON as the local search', async () => {
    const befores = workers.map((w) => w.log().length);
    const c = start(['frontier', DEFAULT_MODEL, '--sweep', sweep, ...FRONTIER, '--queue', redis.url]);
    expect(await c.exited, c.log()).toBe(0);
    const { hosts, ...queued } = JSON.parse(c.out());
    expect(queued).toEqual(localFrontier);
    expect(hosts).toHaveLength(1); // both workers run on this machine
    expect(localFrontier).toMatchObject({ format: 'edgefold-frontier', engine: 'native', data: { n: 100 } });
    const points = localFrontier.points as { measured: { n: number } }[];
    expect(points).toHaveLength(2);
    // The two targets' first measurements ran at the same time, one on each worker.
    for (const [i, w] of workers.entries()) expect(w.log().slice(befores[i])).toMatch(/started \(frontier-point\)/);
    const measured = workers.map((w, i) => (w.log().slice(befores[i]).match(/done in/g) ?? []).length).reduce((a, b) => a + b);
    expect(measured).toBe((localFrontier.measurements as number) + 1); // + the float baseline's eval job
    expect(await jobCounts()).toBe(0);
  }, 240_000);

  it('retrain --queue: the worker trains, the retrained model comes back by hash, byte for byte the local one, the same JSON', async () => {
    const out = join(tmp, 'queued.onnx');
    const c = start(['retrain', DEFAULT_MODEL, '--config', config, '-o', out, ...RETRAIN, '--queue', redis.url]);
    expect(await c.exited, c.log()).toBe(0);
    const text = c.out();
    expect(JSON.parse(text).hosts).toHaveLength(1);
    expect(retrainNumbers(text)).toEqual(retrainNumbers(localRetrain.out()));
    expect(readFileSync(out)).toEqual(readFileSync(join(tmp, 'local.onnx')));
    expect(c.log()).toMatch(/% on a queue worker/);
    expect(await jobCounts()).toBe(0);
  }, 180_000);

  it('a retrain the worker refuses (QAT without a quant section) fails once with a structured error; the client exits 2 naming the job', async () => {
    const c = start(['retrain', DEFAULT_MODEL, '--config', config, '-o', join(tmp, 'never.onnx'), ...RETRAIN, '--qat', '--queue', redis.url]);
    expect(await c.exited).toBe(2);
    expect(c.log()).toMatch(/job c[0-9a-f]+-\d+ failed \(.*needs a "quant" section.*\); the retraining run/);
    expect(() => readFileSync(join(tmp, 'never.onnx'))).toThrow();
    expect(await emptyWithin(5_000)).toBe(0);
  }, 120_000);

  it('poisoned frontier-point and retrain jobs (paths, unknown fields, out-of-range numbers) fail cleanly, untried again', async () => {
    const owner = 'poison-design';
    await admin.set(ownerKey(owner), '1', 'EX', 300);
    const h = 'ab'.repeat(32);
    const point = { v: 1, kind: 'frontier-point', owner, model: h, data: h, calibration: h, limit: 10, compression: { version: 1 }, reconstruct: false };
    const options = { epochs: 1, batchSize: 64, lr: 0.003, optimizer: 'adamw', weightDecay: 0, momentum: 0.9, seed: 1, kd: null, qat: false, augment: { pad: 0, flip: false }, warmupSteps: 0, batchNorm: 'train', activationRanges: 'ema', rangeAveraging: 0.01 };
    const retrain = { v: 1, kind: 'retrain', owner, model: h, train: h, calibration: h, config: { version: 1 }, options, reconstruct: false, threads: 1 };
    const expected: Record<string, RegExp> = {
      'poison-point-path': /unknown field "modelPath"/,
      'poison-point-config': /job.compression/,
      'poison-retrain-epochs': /job.options.epochs must be an integer from 0 to 1000/,
      'poison-retrain-file': /job.options has an unknown field "output"/,
    };
    const jobs = await Promise.all([
      queue.add('frontier-point', { ...point, modelPath: '/etc/passwd' }, { attempts: 3, jobId: 'poison-point-path' }),
      queue.add('frontier-point', { ...point, compression: { version: 1, prune: { ratio: 7 } } }, { attempts: 3, jobId: 'poison-point-config' }),
      queue.add('retrain', { ...retrain, options: { ...options, epochs: 1e9 } }, { attempts: 3, jobId: 'poison-retrain-epochs' }),
      queue.add('retrain', { ...retrain, options: { ...options, output: '/tmp/x.onnx' } }, { attempts: 3, jobId: 'poison-retrain-file' }),
    ]);
    for (const job of jobs) {
      await watch.refusedOnce(job, expected[job.id!]);
    }
    await admin.del(ownerKey(owner));
  }, 120_000);

  it('Ctrl-C on frontier --queue: its waiting jobs are removed, the workers abort the running ones, the queue is left empty', async () => {
    const befores = workers.map((w) => w.log().length);
    const c = start(['frontier', DEFAULT_MODEL, '--sweep', sweep, '--targets', '0.5,10', '--steps', '3', '--limit', '2000', '--engine', 'native', '--queue', redis.url]);
    await Promise.race(workers.map((w, i) => w.waitFor(/started \(frontier-point\)/, befores[i], 120_000)));
    process.kill(c.child.pid!, 'SIGINT');
    expect(await c.exited).toBe(130);
    expect(c.log()).toMatch(/cancelled/);
    expect(workers.map((w) => w.log()).join('\n')).toMatch(/cancelled \(the client cancelled\)/);
    expect(await emptyWithin(10_000)).toBe(0);
  }, 180_000);
});

describe('frontier-point and retrain job validation', () => {
  const h = 'a'.repeat(64);
  it('takes a well-formed measurement job and refuses a path, a bad hash or a bad config, naming the field', () => {
    const ok = { v: 1, kind: 'frontier-point', owner: 'c1', model: h, data: h, calibration: h, limit: 100, compression: { version: 1, prune: { ratio: 0.5 } }, reconstruct: true };
    expect(validateJob(ok)).toEqual(ok);
    expect(() => validateJob({ ...ok, data: './test.bin' })).toThrow(/job.data must be a sha256/);
    expect(() => validateJob({ ...ok, reconstruct: 'yes' })).toThrow(/job.reconstruct must be one of true, false/);
    expect(() => validateJob({ ...ok, compression: { version: 1, quant: { weightBits: 99 } } })).toThrow(/job.compression/);
    expect(() => validateJob({ ...ok, limit: 0 })).toThrow(/job.limit/);
  });
});

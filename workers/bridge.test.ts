/**
 * WorkerBridge with real Node worker threads (comlink over worker_threads, the protocol the CLI
 * pool uses; the browser's Web Workers speak the same one).
 */
import type { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgefoldError } from '../src/core/errors.ts';
import { WorkerBridge, type BridgeOptions } from '../src/workers-client/bridge.ts';
import type { BridgeTestApi } from './bridge-test-worker.ts';
import { nodeThread } from './node-thread.ts';

const WORKER = new URL('./bridge-test-worker.ts', import.meta.url).href;

/** A bridge over the test worker that records its threads and when each exited. */
function testBridge(options: Partial<BridgeOptions<BridgeTestApi>> = {}) {
  const threads: { thread: Worker; exited?: number }[] = [];
  const bridge = new WorkerBridge<BridgeTestApi>({
    name: 'test',
    start: () => {
      const handle = nodeThread(WORKER, null);
      const entry: { thread: Worker; exited?: number } = { thread: handle.thread };
      handle.thread.once('exit', () => (entry.exited = performance.now()));
      threads.push(entry);
      return handle;
    },
    ...options,
  });
  bridges.push(bridge);
  return { bridge, threads };
}

const bridges: WorkerBridge<BridgeTestApi>[] = [];
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.terminate()));
});

const caught = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('WorkerBridge', () => {
  it('runs jobs with progress, and a cancel the worker answers keeps the worker', async () => {
    const { bridge, threads } = testBridge({ cancelGraceMs: 5_000 });
    const steps: number[] = [];
    const value = await bridge.job('count', undefined, (w, jobId) => w.count(jobId, 3, 5, Comlink.proxy((s: number) => void steps.push(s))));
    expect(value).toBe(3);
    expect(steps).toEqual([1, 2, 3]);

    const controller = new AbortController();
    const job = bridge.job('count', controller.signal, (w, jobId) => w.count(jobId, 10_000, 10, Comlink.proxy(() => controller.abort())));
    const error = await caught(job);
    expect(error).toBeInstanceOf(EdgefoldError);
    expect((error as EdgefoldError).code).toBe('cancelled');
    // Answered in time: the same thread serves the next call.
    expect(bridge.alive).toBe(true);
    expect(threads).toHaveLength(1);
    expect(await bridge.call((w) => w.threadId())).toBe(threads[0].thread.threadId);
  });

  it('terminates the worker of a cancelled job that does not stop within the grace time, and rejects it as cancelled', async () => {
    const graceMs = 300;
    const { bridge, threads } = testBridge({ cancelGraceMs: graceMs });
    await bridge.call((w) => w.threadId()); // started and loaded before the clock runs
    const controller = new AbortController();
    const stuck = bridge.job('spin', controller.signal, (w, jobId) => w.spin(jobId, 60_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const abortedAt = performance.now();
    controller.abort();
    const error = await caught(stuck);
    const rejectedAfter = performance.now() - abortedAt;
    expect((error as EdgefoldError).code).toBe('cancelled');
    expect(rejectedAfter).toBeGreaterThanOrEqual(graceMs - 5);
    // Without termination the job would run for a minute; the thread is gone within the grace time (plus scheduling slack).
    expect(rejectedAfter).toBeLessThan(graceMs + 5_000);
    await new Promise<void>((resolve) => (threads[0].exited ? resolve() : threads[0].thread.once('exit', () => resolve())));
    expect(threads[0].exited! - abortedAt).toBeLessThan(graceMs + 5_000);
    expect(bridge.alive).toBe(false);
    // The next call gets a new thread.
    const id = await bridge.call((w) => w.threadId());
    expect(threads).toHaveLength(2);
    expect(id).toBe(threads[1].thread.threadId);
    expect(id).not.toBe(threads[0].thread.threadId);
  });

  it('other calls on a worker terminated for a stuck cancel run again on a new worker', async () => {
    const { bridge, threads } = testBridge({ cancelGraceMs: 100 });
    const controller = new AbortController();
    const stuck = bridge.job('spin', controller.signal, (w, jobId) => w.spin(jobId, 60_000));
    // Queued behind the stuck call on the same thread: it cannot start until that thread is gone.
    const bystander = bridge.call((w) => w.threadId());
    const bystanderJob = bridge.job('count', undefined, (w, jobId) => w.count(jobId, 2, 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    expect(((await caught(stuck)) as EdgefoldError).code).toBe('cancelled');
    expect(await bystander).toBe(threads[1].thread.threadId);
    expect(await bystanderJob).toBe(2);
    expect(threads).toHaveLength(2);
    expect(threads[0].exited).toBeDefined();
  });

  it('terminates a worker idle for idleMs, and a later call starts a new one that works', async () => {
    const idleMs = 200;
    const { bridge, threads } = testBridge({ idleMs });
    const first = await bridge.call((w) => w.threadId());
    // Busy longer than idleMs: a running job is not idle.
    expect(await bridge.job('count', undefined, (w, jobId) => w.count(jobId, 4, 100))).toBe(4);
    expect(threads).toHaveLength(1);
    expect(threads[0].exited).toBeUndefined();
    await new Promise<void>((resolve) => threads[0].thread.once('exit', () => resolve()));
    expect(bridge.alive).toBe(false);
    const second = await bridge.call((w) => w.threadId());
    expect(threads).toHaveLength(2);
    expect(second).not.toBe(first);
    expect(await bridge.job('count', undefined, (w, jobId) => w.count(jobId, 2, 1))).toBe(2);
  });

  it('keeps a worker with idleMs Infinity', async () => {
    const { bridge, threads } = testBridge({ idleMs: Infinity });
    await bridge.call((w) => w.threadId());
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bridge.alive).toBe(true);
    expect(threads[0].exited).toBeUndefined();
  });

  it('replays prepare on a new worker', async () => {
    let prepared = 0;
    const { bridge } = testBridge({ idleMs: 50, prepare: async (w) => void (await w.threadId(), prepared++) });
    await bridge.call((w) => w.threadId());
    await new Promise((resolve) => setTimeout(resolve, 400));
    await bridge.call((w) => w.threadId());
    expect(prepared).toBe(2);
  });

  it('rejects an already aborted signal without starting a worker', async () => {
    const { bridge, threads } = testBridge();
    const error = (await caught(bridge.job('count', AbortSignal.abort(), (w, jobId) => w.count(jobId, 1, 1)))) as EdgefoldError;
    expect(error.code).toBe('cancelled');
    expect(threads).toHaveLength(0);
  });

  it('keeps code and field of errors thrown in the worker', async () => {
    const { bridge } = testBridge();
    const error = (await caught(bridge.call((w) => w.fail('bad-input', 'clock must be positive.', 'hardware.clockMHz')))) as EdgefoldError;
    expect(error).toBeInstanceOf(EdgefoldError);
    expect(error.code).toBe('bad-input');
    expect(error.field).toBe('hardware.clockMHz');
    expect(error.message).toBe('clock must be positive.');
    const unsupported = (await caught(bridge.call((w) => w.fail('unsupported', 'no such op.')))) as EdgefoldError;
    expect(unsupported.code).toBe('unsupported');
    expect(unsupported.field).toBeUndefined();
    // A message that merely looks like a code prefix stays a message.
    const plain = (await caught(bridge.call((w) => w.failPlain('bad-input: not really')))) as EdgefoldError;
    expect(plain.code).toBe('internal');
    expect(plain.message).toBe('bad-input: not really');
  });

  it('fails the calls of a worker that crashes, and starts a new one for the next call', async () => {
    const { bridge, threads } = testBridge();
    const error = (await caught(bridge.call((w) => w.crash()))) as EdgefoldError;
    expect(error).toBeInstanceOf(EdgefoldError);
    expect(error.code).toBe('internal');
    expect(error.message).toMatch(/boom/);
    expect(await bridge.call((w) => w.threadId())).toBe(threads[1].thread.threadId);
  });
});

/**
 * A worker thread for the bridge's tests (workers/bridge.test.ts): real jobs on a real thread,
 * one that stops when cancelled, one stuck in synchronous code (as a long wasm call is), and
 * errors with codes and fields.
 */
import { threadId } from 'node:worker_threads';
import { EdgefoldError, type ErrorCode } from '../src/core/errors.ts';
import { JobRegistry, reportingErrors } from './jobs.ts';
import { exposeToParent } from './node-thread.ts';

const jobs = new JobRegistry();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const api = {
  threadId: (): number => threadId,
  /** Counts to `steps`, one step every `stepMs`, reporting each; stops at the next step when cancelled. */
  count(jobId: string, steps: number, stepMs: number, onProgress?: (step: number) => void | Promise<void>): Promise<number> {
    return jobs.run(jobId, async (signal) => {
      for (let step = 1; step <= steps; step++) {
        await sleep(stepMs);
        if (signal.aborted) throw new EdgefoldError('cancelled', 'Cancelled.');
        // Awaited so every step has arrived before the result does (they travel on different ports).
        await onProgress?.(step);
      }
      return steps;
    });
  },
  /** Blocks the thread for `ms` without yielding: a cancel message cannot even be read. */
  spin(jobId: string, ms: number): Promise<number> {
    return jobs.run(jobId, async () => {
      const end = Date.now() + ms;
      let turns = 0;
      while (Date.now() < end) turns++;
      return turns;
    });
  },
  fail(code: ErrorCode, message: string, field?: string): Promise<never> {
    return reportingErrors(() => {
      throw new EdgefoldError(code, message, field);
    });
  },
  failPlain(message: string): Promise<never> {
    return reportingErrors(() => {
      throw new TypeError(message);
    });
  },
  /** An uncaught error: the thread dies. */
  crash(): Promise<never> {
    setTimeout(() => {
      throw new Error('boom');
    });
    return new Promise<never>(() => {});
  },
  cancel(jobId: string): void {
    jobs.cancel(jobId);
  },
};

export type BridgeTestApi = typeof api;

exposeToParent(api);

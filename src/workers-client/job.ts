import { EdgefoldError, fromTransferred } from '../core/errors.ts';

let jobCounter = 0;

/**
 * Runs one cancellable job in a worker: gives it a fresh job id, forwards an abort of `signal` to
 * the worker's `cancel(jobId)`, and turns the worker's errors back into EdgefoldErrors.
 */
export async function withJob<T>(prefix: string, cancel: (jobId: string) => unknown, signal: AbortSignal | undefined, run: (jobId: string) => Promise<T>): Promise<T> {
  const jobId = `${prefix}-${++jobCounter}`;
  if (signal?.aborted) throw new EdgefoldError('cancelled', 'Cancelled.');
  const onAbort = () => void cancel(jobId);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run(jobId);
  } catch (error) {
    throw fromTransferred(error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

import { toErrorRecord } from '../src/core/errors.ts';

/**
 * Cancellable jobs of one worker, by job id: `run` gives the work a signal, `cancel` aborts it.
 * The worker's half of WorkerBridge (src/workers-client/bridge.ts); errors leave as ErrorRecords.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, AbortController>();

  async run<T>(jobId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    this.jobs.set(jobId, controller);
    try {
      return await work(controller.signal);
    } catch (error) {
      throw toErrorRecord(error);
    } finally {
      this.jobs.delete(jobId);
    }
  }

  cancel(jobId: string): void {
    this.jobs.get(jobId)?.abort();
  }
}

/** A worker call that is not a job: its errors leave as ErrorRecords too (code and field survive the structured clone). */
export async function reportingErrors<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toErrorRecord(error);
  }
}

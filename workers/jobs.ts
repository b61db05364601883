import { toTransferable } from '../src/core/errors.ts';

/** Cancellable jobs of one worker, by job id: `run` gives the work a signal, `cancel` aborts it. */
export class JobRegistry {
  private readonly jobs = new Map<string, AbortController>();

  async run<T>(jobId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    this.jobs.set(jobId, controller);
    try {
      return await work(controller.signal);
    } catch (error) {
      throw toTransferable(error);
    } finally {
      this.jobs.delete(jobId);
    }
  }

  cancel(jobId: string): void {
    this.jobs.get(jobId)?.abort();
  }
}

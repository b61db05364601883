/**
 * What a sweep worker serves, in the browser (workers/sweep.worker.ts) and in a Node thread
 * (workers/pool.ts): load a model and data, run one task of a sweep, cancel it. Driven by
 * SweepWorker (src/workers-client/sweep-worker.ts) over a WorkerBridge.
 */
import type { TaskResult } from '../src/core/sensitivity/engine.ts';
import type { SweepService, ServiceInit, TaskJob } from '../src/core/sensitivity/service.ts';
import { reportingErrors } from './jobs.ts';
import { giveWayWhile, setYieldGate } from '../src/core/yield.ts';

/** `progressEveryMs` > 0 sends progress at most that often (fewer messages between threads). */
export function sweepWorkerApi(service: () => Promise<SweepService>, progressEveryMs = 0) {
  return {
    init(init: ServiceInit): Promise<void> {
      return reportingErrors(async () => (await service()).init(init));
    },
    runTask(job: TaskJob, onProgress?: (work: number) => void): Promise<TaskResult> {
      return reportingErrors(async () => {
        let last = 0;
        let lastAt = -Infinity;
        const report = onProgress && ((work: number) => {
          const now = performance.now();
          if (now - lastAt >= progressEveryMs || work < last) {
            lastAt = now;
            void onProgress(work);
          }
          last = work;
        });
        const result = await (await service()).runTask(job, report);
        if (onProgress && progressEveryMs > 0) await onProgress(last);
        return result;
      });
    },
    async cancel(jobId: string): Promise<void> {
      (await service()).cancel(jobId);
    },
    /**
     * With a flag (shared memory the page raises while a person interacts), this worker pauses
     * between batches while it is raised; null runs on regardless.
     */
    giveWay(flag: Int32Array | null): void {
      setYieldGate(flag ? giveWayWhile(flag) : undefined);
    },
  };
}

export type SweepWorkerApi = ReturnType<typeof sweepWorkerApi>;

/**
 * One sweep worker, browser or Node thread, driven through a WorkerBridge: `load` puts a model
 * and data in it, `executor` runs tasks for executeSweep (src/core/sensitivity/schedule.ts).
 * The last load is replayed on a worker the bridge had to replace (idle or stuck-cancel
 * termination, a crash), so callers never see the difference.
 */
import * as Comlink from 'comlink';
import type { SweepExecutor } from '../core/sensitivity/schedule.ts';
import type { ServiceInit, TaskJob } from '../core/sensitivity/service.ts';
import type { SweepWorkerApi } from '../../workers/sweep-api.ts';
import { WorkerBridge, type BridgeOptions } from './bridge.ts';

/** Settings and image limit shared by every task of a sweep. */
export type SweepTaskSettings = Omit<TaskJob, 'jobId' | 'task' | 'baselineTop1'>;

export class SweepWorker {
  private loaded?: ServiceInit;
  private interaction: Int32Array | null = null;
  readonly bridge: WorkerBridge<SweepWorkerApi>;

  constructor(options: Omit<BridgeOptions<SweepWorkerApi>, 'prepare'>) {
    this.bridge = new WorkerBridge<SweepWorkerApi>({
      ...options,
      prepare: async (remote) => {
        if (this.interaction) await remote.giveWay(this.interaction);
        if (this.loaded) await remote.init(this.loaded);
      },
    });
  }

  /** Loads a model and data (a model it cannot load fails this load only; the worker keeps serving). */
  async load(init: ServiceInit): Promise<void> {
    this.loaded = undefined;
    await this.bridge.call((remote) => remote.init(init));
    this.loaded = init;
  }

  /** Pause between batches while `flag` is raised (see src/workers-client/interaction.ts); null: never. */
  async giveWay(flag: Int32Array | null): Promise<void> {
    if (flag === this.interaction) return;
    this.interaction = flag;
    await this.bridge.call((remote) => remote.giveWay(flag));
  }

  executor(settings: SweepTaskSettings): SweepExecutor {
    return {
      runTask: (task, { baselineTop1, onProgress, signal }) =>
        this.bridge.job('task', signal, (remote, jobId) =>
          remote.runTask({ ...settings, jobId, task, baselineTop1 }, onProgress ? Comlink.proxy(onProgress) : undefined),
        ),
    };
  }

  terminate(): Promise<void> {
    return this.bridge.terminate();
  }
}

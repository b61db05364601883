/**
 * The queue worker may abort a job while it still loads the job's data, before it hands the task
 * to a pool thread: the thread executor must then refuse the task, not run it to its end (a
 * listener added to an aborted signal never fires). Without this, a cancelled or orphaned job
 * stayed active for its whole run (flaky Ctrl-C and dead-client tests under load).
 */
import { describe, expect, it } from 'vitest';
import { NodeSweepPool } from '../../../workers/pool.ts';

describe('the CLI thread pool', () => {
  it('refuses a task whose signal is already aborted, as cancelled', async () => {
    const pool = await NodeSweepPool.start(1, 'wasm');
    try {
      const executor = pool.executor(0, { settings: undefined as never, limit: 1 });
      const task = { id: 't', units: [], cost: 0 };
      // Not loaded: had the task reached the thread, it would fail as "not initialised" (internal).
      await expect(executor.runTask(task, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'cancelled' });
    } finally {
      await pool.close();
    }
  }, 60_000);
});

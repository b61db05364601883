/** Reading a BullMQ queue's state in the job-queue tests. */
import { Job, type Queue } from 'bullmq';
import { expect } from 'vitest';
import { parseFailure } from '../src/cli/queue/jobs.ts';

export function watchQueue(queue: Queue) {
  /** Jobs in the queue, in any state. */
  const jobCounts = async () => Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
  return {
    jobCounts,
    /** Jobs left once the queue is empty or `ms` have passed. */
    async emptyWithin(ms: number) {
      const until = Date.now() + ms;
      let left = await jobCounts();
      while (left && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        left = await jobCounts();
      }
      return left;
    },
    /** Waits (up to 20 s) for `job` to fail; its last state and the job as stored. */
    async failed(job: Job) {
      let state = '';
      for (let i = 0; i < 100 && state !== 'failed'; i++) {
        state = await job.getState();
        if (state !== 'failed') await new Promise((r) => setTimeout(r, 200));
      }
      return { state, done: (await Job.fromId(queue, job.id!))! };
    },
    /** Expects `job` to fail once as bad input (not retried) with a message matching `message`, then removes it. */
    async refusedOnce(job: Job, message: RegExp) {
      const { state, done } = await this.failed(job);
      expect(state, job.id).toBe('failed');
      const failure = parseFailure(done.failedReason);
      expect(failure.code, job.id).toBe('bad-input');
      expect(failure.message, job.id).toMatch(message);
      expect(done.attemptsMade, `${job.id} is not retried`).toBe(1);
      await done.remove();
    },
  };
}

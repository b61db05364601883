/**
 * The set-up the job-queue end-to-end tests share: a scratch directory, a real redis-server on a
 * free loopback port, an admin connection, the engine's BullMQ queue and a watcher over it, and
 * the worker processes a test starts. `close()` stops every one of them by its own id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { KEY_PREFIX, queueName } from '../src/cli/queue/connection.ts';
import { startRedis, type RedisServer } from '../tools/redis-server.ts';
import { start, stopProc, type Proc } from './cli-procs.ts';
import { watchQueue } from './queue-watch.ts';

export interface QueueHarness {
  tmp: string;
  redis: RedisServer;
  /** A plain connection for reading and planting keys. */
  admin: Redis;
  queue: Queue;
  watch: ReturnType<typeof watchQueue>;
  /** Worker processes started through `startWorker`, stopped by `close`. */
  workers: Proc[];
  /** Starts `edgefold worker` on this queue with its own cache directory; resolves once it takes jobs. */
  startWorker(lockMs: string): Promise<Proc>;
  close(): Promise<void>;
}

export async function openQueueHarness(engine: 'wasm' | 'native', options: { appendonly?: boolean; tmpPrefix: string }): Promise<QueueHarness> {
  const tmp = mkdtempSync(join(tmpdir(), options.tmpPrefix));
  const redis = await startRedis({ appendonly: options.appendonly });
  const admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  admin.on('error', () => {});
  const queueConnection = admin.duplicate();
  queueConnection.on('error', () => {});
  const queue = new Queue(queueName(engine), { connection: queueConnection, prefix: KEY_PREFIX });
  const workers: Proc[] = [];
  let started = 0;
  return {
    tmp,
    redis,
    admin,
    queue,
    watch: watchQueue(queue),
    workers,
    async startWorker(lockMs) {
      // Its own cache directory each (a replacement worker must not share the survivor's).
      const w = start(['worker', '--queue', redis.url, '--concurrency', '1', '--engine', engine, '--lock-ms', lockMs, '--cache-dir', join(tmp, `cache${started++}`)]);
      workers.push(w);
      await w.waitFor(new RegExp(`taking ${engine} jobs`));
      return w;
    },
    async close() {
      for (const w of workers) await stopProc(w);
      await queue.close();
      admin.disconnect();
      await redis.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

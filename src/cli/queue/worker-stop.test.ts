/**
 * A worker told to stop while its Redis is gone: it must exit instead of waiting forever for a
 * connection that is not coming back (a systemd stop or Ctrl-C on a host whose Redis died).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { start, stopProc, type Proc } from '../../../test/cli-procs.ts';
import { redisMissing, redisSkipReason, startRedis, type RedisServer } from '../../../tools/redis-server.ts';

if (redisMissing) console.warn(`worker stop test skipped: ${redisSkipReason}`);

describe.skipIf(redisMissing)('edgefold worker stopping', () => {
  let redis: RedisServer | undefined;
  let worker: Proc | undefined;
  const tmp = mkdtempSync(join(tmpdir(), 'edgefold-worker-stop-'));

  afterAll(async () => {
    if (worker) await stopProc(worker, 'SIGKILL');
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('SIGTERM after its Redis is gone: the worker exits by itself, saying why it did not wait', async () => {
    redis = await startRedis();
    worker = start(['worker', '--queue', redis.url, '--concurrency', '1', '--engine', 'wasm', '--cache-dir', join(tmp, 'cache')]);
    await worker.waitFor(/taking wasm jobs/);
    await redis.stop();
    await worker.waitFor(/ECONNREFUSED|connection|closed/i, 0, 20_000);
    process.kill(worker.child.pid!, 'SIGTERM');
    const code = await Promise.race([worker.exited, new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    expect(code, worker.log().slice(-1500)).toBe(0);
    expect(worker.log()).toMatch(/Redis is unreachable/);
  }, 90_000);
});

/**
 * Job queue benchmark (BullMQ on a real redis-server, loopback, append-only file on):
 *  1. per-job overhead: enqueue to result of an empty job, one after another, as a client sees it
 *     (add, the worker's take and completion, the completed event, reading and removing the job);
 *  2. the full default sweep of the default model (1,000 images, wasm) through the queue with two
 *     `edgefold worker` processes (concurrency 1 each) against the local two-thread pool, in the
 *     same run, alternating in ABBA order. Target: queue / local <= 1.10.
 *
 *   npm run bench -- queue            (QUEUE_BENCH_RUNS=2 by default; QUEUE_BENCH_JOBS=500)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadDataset, validateManifest, type Dataset } from '../../src/core/eval/dataset.ts';
import { DEFAULT_BITS, DEFAULT_RATIOS, type SweepRequest, type SweepResult } from '../../src/core/sensitivity/index.ts';
import { runSensitivity } from '../../src/cli/commands/sensitivity.ts';
import { QueueClient, runSensitivityOnQueue } from '../../src/cli/queue/client.ts';
import { JOB_VERSION } from '../../src/cli/queue/jobs.ts';
import { startRedis } from '../redis-server.ts';
import type { BenchSection } from './harness.ts';

const root = resolve(import.meta.dirname, '../..');
const RUNS = Number(process.env.QUEUE_BENCH_RUNS ?? 2);
const JOBS = Number(process.env.QUEUE_BENCH_JOBS ?? 500);
const REQUEST: SweepRequest = { prune: { ratios: [...DEFAULT_RATIOS] }, weightBits: { bits: [...DEFAULT_BITS] }, limit: 1000, batchSize: 100 };

async function testData(): Promise<Dataset> {
  const manifestPath = resolve(root, 'public/data/fmnist.json');
  const manifest = validateManifest(JSON.parse(readFileSync(manifestPath, 'utf8')));
  return loadDataset(manifest, 'test', async (p) => new Uint8Array(readFileSync(resolve(dirname(manifestPath), p))));
}

function startWorker(url: string, cacheDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [resolve(root, 'bin/edgefold.mjs'), 'worker', '--queue', url, '--concurrency', '1', '--engine', 'wasm', '--cache-dir', cacheDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((ok, fail) => {
    let log = '';
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      if (/taking wasm jobs/.test(log)) ok(child);
    });
    child.once('exit', (code) => fail(new Error(`worker exited with ${code}: ${log}`)));
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const strip = (r: SweepResult) => JSON.stringify({ ...r, stats: undefined });

export async function run(): Promise<BenchSection> {
  const redis = await startRedis({ appendonly: true });
  const tmp = mkdtempSync(join(tmpdir(), 'edgefold-queue-bench-'));
  const workers: ChildProcess[] = [];
  try {
    workers.push(...(await Promise.all([startWorker(redis.url, join(tmp, 'c1')), startWorker(redis.url, join(tmp, 'c2'))])));

    // 1. Per-job overhead.
    const client = await QueueClient.open(redis.url, 'wasm');
    const samples: number[] = [];
    try {
      for (let i = 0; i < JOBS + 20; i++) {
        const t0 = performance.now();
        await client.submit({ v: JOB_VERSION, kind: 'empty', owner: client.owner });
        if (i >= 20) samples.push(performance.now() - t0);
      }
    } finally {
      await client.close();
    }
    samples.sort((a, b) => a - b);

    // 2. Full default sweep: local pool vs queue, alternating.
    const bytes = new Uint8Array(readFileSync(resolve(root, 'public/models/dscnn-fmnist.onnx')));
    const data = await testData();
    const local: number[] = [];
    const queued: number[] = [];
    const loads: number[] = [];
    let same = true;
    let points = 0;
    for (let r = 0; r < RUNS; r++) {
      loads.push(loadavg()[0]);
      // ABBA order (local first in odd runs, queue first in even ones): a drifting load on the shared machine hits both alike.
      const runLocal = async () => {
        const t0 = performance.now();
        const result = await runSensitivity(bytes, 'dscnn-fmnist', data, REQUEST, { workers: 2, engine: 'wasm' });
        local.push((performance.now() - t0) / 1000);
        return result;
      };
      const runQueued = async () => {
        const t0 = performance.now();
        const result = await runSensitivityOnQueue(bytes, 'dscnn-fmnist', data, REQUEST, { url: redis.url, engine: 'wasm', parallel: 2, useCache: false });
        queued.push((performance.now() - t0) / 1000);
        return result;
      };
      const [a, b] = r % 2 === 0 ? [await runLocal(), await runQueued()] : (([q, l]) => [l, q])([await runQueued(), await runLocal()]);
      same &&= strip(a) === strip(b);
      points = a.points.length;
      console.log(`   run ${r + 1}: local ${local[r].toFixed(1)} s, queue ${queued[r].toFixed(1)} s`);
    }
    const ratio = median(queued) / median(local);
    const body = [
      'BullMQ 6.7 over a redis-server 7.0 on loopback started by the bench (append-only file on, `appendfsync everysec`), two `edgefold worker --concurrency 1 --engine wasm` processes already running (long-lived workers: their start-up is not counted; the local pool\'s thread start is).',
      '',
      `### Per-job overhead (empty job, ${JOBS} jobs one after another, after 20 warm-up jobs)`,
      '',
      '| enqueue to result | median | p99 | max |',
      '|---|---|---|---|',
      `| empty job (add, take, complete, completed event, read and remove) | ${quantile(samples, 0.5).toFixed(2)} ms | ${quantile(samples, 0.99).toFixed(2)} ms | ${samples[samples.length - 1].toFixed(2)} ms |`,
      '',
      `### Full default sweep through the queue vs the local pool (${points} points, 1,000 images, wasm)`,
      '',
      '| run | local pool, 2 threads | queue, 2 worker processes | queue / local |',
      '|---|---|---|---|',
      ...local.map((l, i) => `| ${i + 1} | ${l.toFixed(1)} s | ${queued[i].toFixed(1)} s | ${(queued[i] / l).toFixed(3)} |`),
      `| median | ${median(local).toFixed(1)} s | ${median(queued).toFixed(1)} s | **${ratio.toFixed(3)}** (target <= 1.10: ${ratio <= 1.1 ? 'met' : 'NOT met'}) |`,
      '',
      `Same result JSON point for point (stats aside) in every run: ${same ? 'yes' : 'NO'}. Load average (1 min) at the start of each run: ${loads.map((l) => l.toFixed(1)).join(', ')} (the machine is shared).`,
    ].join('\n');
    return { title: 'Job queue (BullMQ on Redis): per-job overhead and the full sweep on two worker processes', body };
  } finally {
    for (const w of workers) {
      const exited = new Promise((r) => w.once('exit', r));
      process.kill(w.pid!, 'SIGTERM');
      await exited;
    }
    await redis.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

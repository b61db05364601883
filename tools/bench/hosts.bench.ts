/**
 * How a sweep scales over hosts (issue 18, section 5): a time model (src/cli/queue/predict.ts)
 * fitted to measurements on the real queue, checked against a measured reduced MobileNet-v1 sweep
 * on 1 and 2 worker processes, then used to predict the full MobileNet-v1 sweep on 10,000 images
 * on 1, 4, 16 and 64 hosts.
 *
 *  - MobileNet-v1 (224 x 224, seeded random weights) from tools/models/mobilenet_v1_onnx.py.
 *  - Data: 200 synthetic 224 x 224 RGB images (seeded noise); no ImageNet is available here.
 *    Labels are the float model's own top-1 among classes 0-255 (labels are bytes), so accuracy
 *    is agreement with the unmodified model. Speed does not depend on pixel values.
 *  - Fit: per-task times of a calibration sweep (other targets, 50 and 200 images, one job at a
 *    time on one worker) -> tJob, tPoint, tMac; blob upload and download throughput measured.
 *  - Check: the reduced sweep (31 models x 200 images) on k = 1, 2 fresh `edgefold worker
 *    --engine native --concurrency 1` processes, alternating, QUEUE_HOSTS_RUNS times each.
 *
 *   npm run bench -- hosts            (QUEUE_HOSTS_RUNS=2)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { batchTensor, type Dataset } from '../../src/core/eval/dataset.ts';
import { createOrtRunner } from '../../src/core/eval/ort-runner.ts';
import { LIMITS } from '../../src/core/limits.ts';
import { decodeModel } from '../../src/core/onnx/model.ts';
import { DEFAULT_BITS, DEFAULT_RATIOS, executeSweep, planSweep, prepareSweep, SweepModel, type SweepExecutor, type SweepRequest } from '../../src/core/sensitivity/index.ts';
import { loadOrt } from '../../src/cli/ort.ts';
import { BlobDiskCache, decodeDataset, encodeDataset, fetchBlob, uploadBlob } from '../../src/cli/queue/blobs.ts';
import { QueueClient, runSensitivityOnQueue } from '../../src/cli/queue/client.ts';
import { JOB_VERSION } from '../../src/cli/queue/jobs.ts';
import { fitTaskModel, predictSweep, taskSeconds, type TaskSample, type TransferModel } from '../../src/cli/queue/predict.ts';
import { startRedis, type RedisServer } from '../redis-server.ts';
import type { BenchSection } from './harness.ts';

const root = resolve(import.meta.dirname, '../..');
const RUNS = Number(process.env.QUEUE_HOSTS_RUNS ?? 2);
/** Images of the check (the issue suggests 500; 200 keeps the bench under half an hour on a loaded 2-core machine). */
const IMAGES = Number(process.env.QUEUE_HOSTS_IMAGES ?? 200);
const CALIBRATION_IMAGES = [IMAGES / 8, IMAGES / 2].map(Math.round);
const FULL_IMAGES = 10_000;
/** Assumed for the multi-host prediction (not measured here: one machine): 1 Gbit/s links everywhere. */
const NETWORK_BYTES_PER_SECOND = 125e6;
/** A quiet host's speed for comparison: issue 18 measured 295 MobileNet-v1 images/s with onnxruntime-node on 2 threads (569 M MACs each). */
const QUIET_SLOT_MACS_PER_SECOND = (295 / 2) * 568.74e6;

/** A seeded generator (mulberry32): the same images every run. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function syntheticData(modelBytes: Uint8Array, count: number): Promise<Dataset> {
  const [c, h, w] = [3, 224, 224];
  const rnd = random(18);
  const pixels = new Uint8Array(count * c * h * w);
  for (let i = 0; i < count; i++) {
    // A base colour per image and channel, plus noise: not all images alike.
    for (let ch = 0; ch < c; ch++) {
      const base = rnd() * 255;
      const offset = (i * c + ch) * h * w;
      for (let p = 0; p < h * w; p++) pixels[offset + p] = Math.max(0, Math.min(255, Math.round(base + (rnd() - 0.5) * 160)));
    }
  }
  const data: Dataset = {
    name: 'synthetic-224',
    split: 'test',
    count,
    shape: [c, h, w],
    classes: Array.from({ length: 1000 }, (_, k) => `class ${k}`),
    pixels,
    labels: new Uint8Array(count),
    preprocessing: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  };
  const runner = await createOrtRunner(await loadOrt('native'), modelBytes);
  try {
    for (let start = 0; start < count; start += 20) {
      const n = Math.min(20, count - start);
      const scores = await runner.run(batchTensor(data, start, n), [n, c, h, w]);
      for (let k = 0; k < n; k++) {
        let best = 0;
        for (let j = 1; j < 256; j++) if (scores[k * 1000 + j] > scores[k * 1000 + best]) best = j;
        data.labels[start + k] = best;
      }
    }
  } finally {
    await runner.release();
  }
  return data;
}

function startWorker(url: string, cacheDir: string): Promise<ChildProcess> {
  // Its own session (detached): Linux's autogroup scheduler then gives each worker its own CPU
  // share, as a separate host would have; in the bench's session two workers would split one share.
  const child = spawn(process.execPath, [resolve(root, 'bin/edgefold.mjs'), 'worker', '--queue', url, '--concurrency', '1', '--engine', 'native', '--cache-dir', cacheDir], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  return new Promise((ok, fail) => {
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (/taking native jobs/.test(log)) ok(child);
    });
    child.once('exit', (code) => fail(new Error(`worker exited with ${code}: ${log}`)));
  });
}

async function stopWorkers(workers: ChildProcess[]) {
  for (const w of workers.splice(0)) {
    const exited = new Promise((r) => w.once('exit', r));
    process.kill(w.pid!, 'SIGTERM');
    await exited;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmtSeconds = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(2)} h` : s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);

/** One job at a time on one worker; the time of every task, as the client sees it (queue round trip included). */
async function calibrate(url: string, modelBytes: Uint8Array, data: Dataset, request: SweepRequest): Promise<{ samples: TaskSample[]; first: TaskSample }> {
  const prepared = await prepareSweep(modelBytes, data, request, 'native');
  const client = await QueueClient.open(url, 'native');
  try {
    const [model, dataSha] = await Promise.all([client.upload(modelBytes, 'model'), client.upload(encodeDataset(data, prepared.images), 'dataset')]);
    const base = client.executors(prepared.plan.units.length, { model, data: dataSha, settings: prepared.plan.settings, limit: prepared.images });
    const samples: TaskSample[] = [];
    let chain: Promise<unknown> = Promise.resolve();
    const executors: SweepExecutor[] = base.map((e) => ({
      runTask: (task, options) => {
        const next = chain.then(async () => {
          const t0 = performance.now();
          const result = await e.runTask(task, options);
          samples.push({ models: task.units.reduce((n, u) => n + u.points.length, 0), images: prepared.images, cost: task.cost, seconds: (performance.now() - t0) / 1000 });
          return result;
        });
        chain = next.catch(() => {});
        return next;
      },
    }));
    await executeSweep(prepared.plan, executors, { scope: prepared.scope, images: prepared.images, model: { name: 'mobilenet-v1' }, data: { name: data.name, split: data.split, classes: data.classes.length } });
    // The first job of a sweep also loads the model and data into the worker's thread: not a task's time.
    return { samples: samples.slice(1), first: samples[0] };
  } finally {
    await client.close();
  }
}

export async function run(): Promise<BenchSection> {
  const tmp = mkdtempSync(join(tmpdir(), 'edgefold-hosts-bench-'));
  const workers: ChildProcess[] = [];
  let redis: RedisServer | undefined;
  let admin: Redis | undefined;
  try {
    const modelPath = join(tmp, 'mobilenet-v1.onnx');
    const made = spawnSync('/usr/bin/python3', [resolve(root, 'tools/models/mobilenet_v1_onnx.py'), modelPath], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, timeout: 300_000 });
    if (made.status !== 0) return { title: 'Sweeps over hosts: the fitted time model and MobileNet-v1', body: `Not run: tools/models/mobilenet_v1_onnx.py failed (needs Debian python3-torch): ${(made.stderr ?? made.error?.message ?? '').slice(-500)}` };
    const modelBytes = new Uint8Array(readFileSync(modelPath));
    console.log('   making the synthetic data set (labels from the float model)...');
    const data = await syntheticData(modelBytes, IMAGES);

    // Targets: calibration and check use different groups and layers.
    const sm = new SweepModel(decodeModel(modelBytes));
    const full = planSweep(sm, { prune: { ratios: [...DEFAULT_RATIOS] }, weightBits: { bits: [...DEFAULT_BITS] } });
    const groups = full.units.filter((u) => u.kind === 'prune').map((u) => u.target);
    const layers = full.units.filter((u) => u.kind === 'weight-bits').map((u) => u.target);
    const pick = <T>(xs: T[], idx: number[]) => idx.filter((i) => i < xs.length).map((i) => xs[i]);
    const calibration: SweepRequest = { prune: { ratios: [0.3, 0.6, 0.9], groups: pick(groups, [1, 6, 11]) }, weightBits: { bits: [3], layers: pick(layers, [2, 7, 12, 17, 22, 27]) } };
    const check: SweepRequest = { prune: { ratios: [0.25, 0.5, 0.75], groups: pick(groups, [0, 4, 8, 12]) }, weightBits: { bits: [4, 8], layers: pick(layers, [1, 4, 8, 11, 14, 18, 21, 24, 26]) }, limit: IMAGES };
    const checkPlan = planSweep(sm, check);

    redis = await startRedis({ appendonly: true });
    admin = new Redis(redis.url, { maxRetriesPerRequest: null });
    admin.on('error', () => {});
    const loads: number[] = [];

    // 1. Transfers: the client's encode + upload, a worker's download + hash + decode.
    const blobBytes = encodeDataset(data, IMAGES);
    let t0 = performance.now();
    const sha = await uploadBlob(admin, encodeDataset(data, IMAGES), 'dataset');
    const uploadBytesPerSecond = blobBytes.byteLength / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    decodeDataset(await fetchBlob(admin, sha, 'dataset', new BlobDiskCache(join(tmp, 'fetch-cache'), 2 ** 31)));
    const downloadBytesPerSecond = blobBytes.byteLength / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    await prepareSweep(modelBytes, data, check, 'native');
    const prepareSeconds = (performance.now() - t0) / 1000;
    await admin.flushall();

    // 2. Calibration on one worker: per-job overhead of an empty job, then per-task times.
    loads.push(loadavg()[0]);
    workers.push(await startWorker(redis.url, join(tmp, 'cal')));
    const empty: number[] = [];
    const probe = await QueueClient.open(redis.url, 'native');
    try {
      for (let i = 0; i < 120; i++) {
        const t = performance.now();
        await probe.submit({ v: JOB_VERSION, kind: 'empty', owner: probe.owner });
        if (i >= 20) empty.push((performance.now() - t) / 1000);
      }
    } finally {
      await probe.close();
    }
    const samples: TaskSample[] = [];
    const firsts: TaskSample[] = [];
    for (const images of CALIBRATION_IMAGES) {
      console.log(`   calibration: ${images} images...`);
      const { samples: s, first } = await calibrate(redis.url, modelBytes, data, { ...calibration, limit: images });
      samples.push(...s);
      firsts.push(first);
    }
    await stopWorkers(workers);
    const fit = fitTaskModel(samples);
    console.log(`   fit: tJob ${fit.tJob.toFixed(3)} s, tPoint ${fit.tPoint.toFixed(3)} s, ${(1 / fit.tMac / 1e9).toFixed(1)} GMAC/s; first jobs ${firsts.map((f) => f.seconds.toFixed(1)).join(', ')} s; ${JSON.stringify(samples.map((x) => [x.models, Math.round(x.cost / 1e6), +x.seconds.toFixed(2)]))}`);
    const residuals = samples.map((s) => (fit.tJob + fit.tPoint * s.models + fit.tMac * s.images * s.cost - s.seconds) / s.seconds);
    const transfer = (bytes: number): TransferModel => ({ bytes, uploadBytesPerSecond, hostDownloadBytesPerSecond: downloadBytesPerSecond, redisBytesPerSecond: downloadBytesPerSecond });

    // 3. The check: the reduced sweep on k fresh workers (empty caches, empty Redis), alternating k.
    const measured: Record<number, number[]> = { 1: [], 2: [] };
    let baselineTop1 = NaN;
    for (let r = 0; r < RUNS; r++) {
      for (const k of r % 2 === 0 ? [1, 2] : [2, 1]) {
        await admin.flushall();
        for (let i = 0; i < k; i++) workers.push(await startWorker(redis.url, join(tmp, `w${r}-${k}-${i}`)));
        loads.push(loadavg()[0]);
        const t = performance.now();
        const result = await runSensitivityOnQueue(modelBytes, 'mobilenet-v1', data, check, { url: redis.url, engine: 'native', parallel: k, useCache: false });
        measured[k].push((performance.now() - t) / 1000);
        baselineTop1 = result.baseline.top1;
        await stopWorkers(workers);
        console.log(`   check run ${r + 1}, ${k} worker(s): ${measured[k].at(-1)!.toFixed(1)} s, ${result.points.length} points, baseline top-1 ${(result.baseline.top1 * 100).toFixed(1)} %`);
      }
    }
    const checkBytes = modelBytes.byteLength + blobBytes.byteLength;
    // k worker processes of one slot each, each downloading the blobs once (own caches).
    const predicted = (k: number) => prepareSeconds + predictSweep(checkPlan, IMAGES, k, 1, fit, transfer(checkBytes)).totalSeconds;

    // 4. The full sweep on 10,000 images, hosts of 2 slots, over 1 Gbit/s links.
    const fullBytes = modelBytes.byteLength + FULL_IMAGES * 3 * 224 * 224 + FULL_IMAGES;
    const net: TransferModel = { bytes: fullBytes, uploadBytesPerSecond: NETWORK_BYTES_PER_SECOND, hostDownloadBytesPerSecond: NETWORK_BYTES_PER_SECOND, redisBytesPerSecond: NETWORK_BYTES_PER_SECOND };
    const fullModels = full.units.reduce((n, u) => n + u.points.length, 0);
    // No number of hosts finishes sooner than the longest curve alone (makeTasks never splits one).
    const floor = Math.max(...full.units.map((u) => taskSeconds(fit, u.points.length, FULL_IMAGES, u.cost)));
    const one = predictSweep(full, FULL_IMAGES, 1, 2, fit, net);
    const rows = [1, 4, 16, 64].map((h) => {
      const p = predictSweep(full, FULL_IMAGES, h, 2, fit, net);
      const quiet = predictSweep(full, FULL_IMAGES, h, 2, { ...fit, tMac: 1 / QUIET_SLOT_MACS_PER_SECOND }, net);
      return `| ${h} | ${p.slots} | ${p.tasks} | ${fmtSeconds(p.computeSeconds)} | ${fmtSeconds(p.uploadSeconds + p.downloadSeconds)} | **${fmtSeconds(p.totalSeconds)}** | ${(one.totalSeconds / p.totalSeconds).toFixed(1)}x | ${fmtSeconds(p.longestTaskSeconds)} | ${fmtSeconds(quiet.totalSeconds)} |`;
    });
    const err = (k: number) => (predicted(k) - median(measured[k])) / median(measured[k]);
    const spread = (xs: number[]) => `${fmtSeconds(Math.min(...xs))} - ${fmtSeconds(Math.max(...xs))}`;
    const perImageMacs = checkPlan.units.reduce((n, u) => n + u.cost, 0);
    const body = [
      'The time model of a queued sweep (`src/cli/queue/predict.ts`, formula in docs/queue.md): a task takes `tJob + tPoint x models + tMac x images x cost` seconds on one slot (cost: the plan\'s MACs per image of the task, prefix once plus every suffix); the client cuts the sweep into `makeTasks` tasks for min(slots, curves) executors; tasks go longest first to the first free slot (list scheduling, as `executeSweep` does); plus the client\'s upload of the blobs and every host\'s download of them (hosts share Redis\'s bandwidth).',
      '',
      `Model: MobileNet-v1 224 x 224 (tools/models/mobilenet_v1_onnx.py, seeded random weights, ${(modelBytes.byteLength / 1e6).toFixed(1)} MB). Data: ${IMAGES} synthetic 224 x 224 RGB images (seeded noise on a random colour per image; no ImageNet here), labelled with the float model's own top-1 among classes 0-255 (labels are bytes); the model's top-1 over all 1,000 classes (seeded random weights) matches them on ${(baselineTop1 * 100).toFixed(1)} % of the images, so the accuracies are not informative here: this bench measures time, which does not depend on the pixels. Engine native (onnxruntime-node, one thread per slot), batch ${checkPlan.settings.batchSize} (autoBatchSize). Redis on loopback, append-only file on.`,
      '',
      '### Fit (one worker, one job at a time)',
      '',
      `Calibration sweep: prune 0.3/0.6/0.9 on 3 channel groups + 3-bit weights on 6 layers (other targets than the check), on ${CALIBRATION_IMAGES.join(' and ')} images: ${samples.length} task times (the first job of each sweep, which also loads model and data into the worker thread, left out: ${firsts.map((f) => `${f.seconds.toFixed(1)} s`).join(', ')}).`,
      '',
      '| parameter | value | meaning |',
      '|---|---|---|',
      `| tJob | ${(fit.tJob * 1000).toFixed(0)} ms | per job: queue round trip + the task's fixed work (an empty job alone: median ${(median(empty) * 1000).toFixed(1)} ms over 100) |`,
      `| tPoint | ${(fit.tPoint * 1000).toFixed(0)} ms | per model: build the point's model, create its session |`,
      `| tMac | ${(fit.tMac * 1e12).toFixed(2)} s per 10^12 MAC-images | ${(1 / fit.tMac / 1e9).toFixed(1)} GMAC/s on one slot (= ${(1 / fit.tMac / 568.7e6).toFixed(1)} full MobileNet-v1 images/s) |`,
      `| upload | ${(uploadBytesPerSecond / 1e6).toFixed(0)} MB/s | client: encode + hash + upload the dataset blob (loopback) |`,
      `| download | ${(downloadBytesPerSecond / 1e6).toFixed(0)} MB/s | worker: download + hash + decode (loopback) |`,
      `| client preparation | ${prepareSeconds.toFixed(1)} s | plan + hashes of the reduced sweep (measured, added to its prediction) |`,
      '',
      `Fit residuals: median |error| ${(median(residuals.map(Math.abs)) * 100).toFixed(1)} %, worst ${(Math.max(...residuals.map(Math.abs)) * 100).toFixed(1)} %.`,
      '',
      `### Check: the reduced sweep, ${checkPlan.points.length} points (${checkPlan.units.reduce((n, u) => n + u.points.length, 0)} models) x ${IMAGES} images, predicted vs measured`,
      '',
      `Prune 0.25/0.5/0.75 on 4 groups + 4- and 8-bit weights on 9 layers (${(perImageMacs / 1e9).toFixed(1)} GMAC per image over all curves). Fresh workers (\`edgefold worker --engine native --concurrency 1\`, empty blob caches, each in its own session so the kernel's autogroup scheduler gives each its own CPU share as a host would have) and an empty Redis for every run; runs alternate 1, 2, 2, 1 workers.`,
      '',
      '| worker processes | measured (median of ' + RUNS + ') | spread | predicted | prediction error |',
      '|---|---|---|---|---|',
      ...[1, 2].map((k) => `| ${k} | ${fmtSeconds(median(measured[k]))} | ${spread(measured[k])} | ${fmtSeconds(predicted(k))} | ${(err(k) * 100).toFixed(1)} % (target within 15 %: ${Math.abs(err(k)) <= 0.15 ? 'met' : 'NOT met'}) |`),
      '',
      `Load average (1 min) at the start of the calibration and of each check run: ${loads.map((l) => l.toFixed(1)).join(', ')} (2 cores, shared with other work: the measured times include that contention, the fit saw it too).`,
      '',
      `### Prediction: the full MobileNet-v1 sweep (${full.points.length} points, ${fullModels} distinct models: ${full.units.filter((u) => u.kind === 'prune').length} channel groups x 10 ratios + ${layers.length} layers x 6 bit widths) on ${FULL_IMAGES.toLocaleString('en')} images`,
      '',
      `Hosts of 2 slots each (a 2-core host like this one, running at the per-slot speed fitted above), 1 Gbit/s links (assumed, 125 MB/s) for the client's upload and every host's download of the ${(fullBytes / 1e9).toFixed(2)} GB of blobs, all hosts downloading from one Redis at once. "Total on quiet hosts": the same with each slot at the issue's quiet-machine speed (295 images/s on 2 threads = ${(QUIET_SLOT_MACS_PER_SECOND / 1e9).toFixed(1)} GMAC/s per slot) instead of the speed fitted here on the loaded machine.`,
      '',
      '| hosts | slots | tasks | compute | upload + download | total | speed-up over 1 host | longest task | total on quiet hosts |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `The floor: \`makeTasks\` never splits a curve, so no number of hosts finishes the compute sooner than the longest curve run alone (${fmtSeconds(floor)}); the ${full.units.length} curves give at most ${full.units.length} tasks. The hosts' downloads share one Redis link: at 64 hosts they take ${fmtSeconds(predictSweep(full, FULL_IMAGES, 64, 2, fit, net).downloadSeconds)}.`,
      '',
      `Note: ${FULL_IMAGES.toLocaleString('en')} images of 224 x 224 x 3 are ${(FULL_IMAGES * 3 * 224 * 224 / LIMITS.data.arrayElements).toFixed(1)}x the per-array limit of a dataset (${LIMITS.data.arrayElements.toLocaleString('en')} pixels, src/core/limits.ts: ${Math.floor(LIMITS.data.arrayElements / (3 * 224 * 224)).toLocaleString('en')} such images), locally and on the queue alike: this sweep cannot be submitted today; the prediction is for when that limit is raised or the data is sent in parts.`,
    ].join('\n');
    return { title: 'Sweeps over hosts: the fitted time model and MobileNet-v1', body };
  } finally {
    await stopWorkers(workers);
    admin?.disconnect();
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Training speed: images/s of forward + backward + AdamW at batch 128 (no KD, no augmentation) on
 * the default model, as a ratio to PyTorch (Debian torch 1.13, 2 threads, same model and batch)
 * measured in the same run (before and after ours; their mean is the reference):
 * - Node: the real loop (src/core/train/trainer.ts) on onnxruntime-node, 2 intra-op threads, in a
 *   child process whose peak RSS is the training worker's memory;
 * - Chromium: the train worker (workers/train.worker.ts) on onnxruntime-web wasm, headless Debian
 *   Chromium, cross-origin isolated; peak RSS of the browser's processes read from /proc.
 *
 *   npm run bench -- train [--write]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { CHROMIUM, withBenchPage, type BenchSection } from './harness.ts';

const root = resolve(import.meta.dirname, '../..');
const STEPS = Number(process.env.TRAIN_BENCH_STEPS ?? 10);

function torchImagesPerSecond(): number {
  const out = execFileSync('/usr/bin/python3', [resolve(import.meta.dirname, 'train_torch.py'), '2', String(STEPS)], {
    cwd: root,
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!).imagesPerSecond;
}

function nodeRun(): { imagesPerSecond: number; peakRssMiB: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'train-node-run.ts'), '2', String(STEPS)], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** Peak RSS (VmHWM) of every Chromium process below `pid`. */
function chromiumPeaksMiB(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const below = (p: number): boolean => p === pid || (parent.has(p) && p !== 1 && below(parent.get(p)!));
  const out: number[] = [];
  for (const p of parent.keys()) {
    if (p === pid || !below(p)) continue;
    try {
      if (!/chrom/i.test(readFileSync(`/proc/${p}/comm`, 'utf8'))) continue;
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) out.push(Number(m[1]) / 1024);
    } catch {
      // gone
    }
  }
  return out;
}

async function chromiumRun(): Promise<Record<string, unknown> & { peakRendererMiB: number }> {
  return withBenchPage({ path: 'train.html', ready: 'edgefoldTrainBench' }, async (page) => {
    const out = (await page.evaluate((opts) => (window as unknown as { edgefoldTrainBench: (o: unknown) => Promise<unknown> }).edgefoldTrainBench(opts), { steps: STEPS })) as Record<string, unknown>;
    const peaks = chromiumPeaksMiB(process.pid);
    return { ...out, peakRendererMiB: peaks.length ? Math.max(...peaks) : NaN };
  });
}

export async function run(): Promise<BenchSection> {
  const title = 'Training: images/s (forward + backward + AdamW, batch 128, no KD) vs PyTorch';
  const torchBefore = torchImagesPerSecond();
  console.log(`   torch (before): ${torchBefore.toFixed(1)} img/s`);
  const node = nodeRun();
  console.log(`   node: ${node.imagesPerSecond.toFixed(1)} img/s, peak RSS ${node.peakRssMiB.toFixed(0)} MiB`);
  const browser = existsSync(CHROMIUM) ? await chromiumRun() : undefined;
  if (browser) console.log(`   chromium: ${(browser.imagesPerSecond as number).toFixed(1)} img/s, ${browser.threads} threads, cancel: ${browser.cancel}`);
  const torchAfter = torchImagesPerSecond();
  console.log(`   torch (after): ${torchAfter.toFixed(1)} img/s`);
  const torch = (torchBefore + torchAfter) / 2;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const ratio = (x: number) => (x / torch).toFixed(2);
  const rows = [
    `| PyTorch 1.13 (Debian), 2 threads, before / after ours | ${torchBefore.toFixed(0)} / ${torchAfter.toFixed(0)} | 1.00 (mean ${torch.toFixed(0)}) | - |`,
    `| edgefold, onnxruntime-node, 2 intra-op threads (Node) | ${node.imagesPerSecond.toFixed(0)} | ${ratio(node.imagesPerSecond)} | >= 0.25: ${node.imagesPerSecond / torch >= 0.25 ? 'met' : 'NOT met'} |`,
    browser
      ? `| edgefold, onnxruntime-web wasm, ${browser.threads} threads (headless Chromium, train worker) | ${(browser.imagesPerSecond as number).toFixed(0)} | ${ratio(browser.imagesPerSecond as number)} | aim >= 0.1: ${(browser.imagesPerSecond as number) / torch >= 0.1 ? 'met' : 'not met'} |`
      : `| headless Chromium | not run: no Chromium at ${CHROMIUM} | | |`,
  ];
  return {
    title,
    body: [
      `Default model (dscnn-fmnist, BN folded as in the file), batch 128 of the bundled train split, softmax cross-entropy, ${STEPS} timed steps after one warm-up step (PyTorch: after 3).`,
      `The machine was shared with other jobs during this run (load average ${load} on ${readFileSync('/proc/cpuinfo', 'utf8').split('processor').length - 1} cores), so absolute numbers are low and noisy; the ratios compare runs made in the same minutes.`,
      '',
      '| engine | images/s | ratio to PyTorch | target |',
      '|---|---|---|---|',
      ...rows,
      '',
      `Peak RSS of the training process at batch 128: Node child ${node.peakRssMiB.toFixed(0)} MiB (target < 1024 MiB: ${node.peakRssMiB < 1024 ? 'met' : 'NOT met'})` +
        (browser ? `; largest Chromium process (renderer with the page and the train worker) ${Number(browser.peakRendererMiB).toFixed(0)} MiB.` : '.'),
      browser ? `Cancel mid-epoch in the train worker (Chromium): the call rejected with "${browser.cancel}".` : '',
      `Chromium: ${String(browser?.userAgent ?? '').match(/Chrome\/([\d.]+)/)?.[1] ?? '-'}, cross-origin isolated: ${browser?.crossOriginIsolated ?? '-'}.`,
    ].join('\n'),
  };
}

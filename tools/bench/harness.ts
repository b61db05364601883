/** Tiny benchmark helpers: repeat a function, report the median and spread. */
import type { Page } from '@playwright/test';

export interface Timing {
  name: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export async function time(name: string, fn: () => unknown, { runs = 20, warmup = 3 } = {}): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { name, runs, medianMs: samples[Math.floor(runs / 2)], minMs: samples[0], maxMs: samples[runs - 1] };
}

/** One section of docs/benchmarks.md. */
export interface BenchSection {
  title: string;
  /** Markdown body (tables, notes). */
  body: string;
}

export const timingTable = (timings: Timing[], target?: (t: Timing) => string): string =>
  [
    `| what | runs | median | min | max |${target ? ' target |' : ''}`,
    `|---|---|---|---|---|${target ? '---|' : ''}`,
    ...timings.map(
      (t) =>
        `| ${t.name} | ${t.runs} | ${t.medianMs.toFixed(3)} ms | ${t.minMs.toFixed(3)} ms | ${t.maxMs.toFixed(3)} ms |${target ? ` ${target(t)} |` : ''}`,
    ),
  ].join('\n');

// ---- browser benchmarks -----------------------------------------------------------------------

/** Debian's Chromium with the launch arguments of playwright.config.ts. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Builds with Vite (the app, or another `vite.config`), serves it with `vite preview` on a free loopback port, runs `work`, stops the server. */
export async function withPreview<T>(options: { config?: string; prebuilt?: string }, work: (url: string) => Promise<T>): Promise<T> {
  const { execFileSync, spawn } = await import('node:child_process');
  const { resolve } = await import('node:path');
  const root = resolve(import.meta.dirname, '../..');
  // `prebuilt`: serve an existing build (e.g. of another commit, to compare in the same run).
  const configArgs = [...(options.config ? ['--config', options.config] : []), ...(options.prebuilt ? ['--outDir', options.prebuilt] : [])];
  if (!options.prebuilt) execFileSync('npx', ['vite', 'build', ...configArgs, '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  const { freePort } = await import('../free-port.ts');
  const port = await freePort();
  const server = spawn('npx', ['vite', 'preview', ...configArgs, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: root, stdio: 'ignore', detached: true });
  const url = `http://127.0.0.1:${port}/`;
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(url)).ok) break;
      } catch {
        if (i > 100) throw new Error('vite preview did not start');
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return await work(url);
  } finally {
    try {
      process.kill(-server.pid!);
    } catch {
      server.kill();
    }
  }
}

/**
 * One bench page (tools/bench/browser) in headless Chromium: build and serve it, open `path`, wait
 * until the page defines `window[ready]`, run `work` with the page, then close everything.
 */
export async function withBenchPage<T>(options: { path?: string; ready: string }, work: (page: Page) => Promise<T>): Promise<T> {
  const { chromium } = await import('@playwright/test');
  const { resolve } = await import('node:path');
  return withPreview({ config: resolve(import.meta.dirname, 'browser/vite.config.ts') }, async (url) => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      page.on('console', (m) => m.type() === 'error' && console.log(`   [page] ${m.text()}`));
      page.on('pageerror', (e) => console.log(`   [page error] ${e.message}`));
      await page.goto(`${url}${options.path ?? ''}`);
      await page.waitForFunction((name) => name in window, options.ready, { timeout: 60_000 });
      return await work(page);
    } finally {
      await browser.close();
    }
  });
}

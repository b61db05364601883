#!/usr/bin/env node
// Serves the repository with Vite, opens tools/transfer/browser-check/index.html in Debian's
// Chromium, and checks what the workers did. Exit code 0 when every check holds.
//   node tools/transfer/browser-check/run.mjs
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { chromium } from '@playwright/test';

const root = resolve(import.meta.dirname, '../../..');
const port = 5999;
const server = spawn('npx', ['vite', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: root, detached: true, stdio: 'ignore' });
const stop = () => {
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
};
let failed = false;
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) break;
    } catch {
      if (i > 60) throw new Error('vite did not start');
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  await page.goto(`http://127.0.0.1:${port}/tools/transfer/browser-check/index.html`);
  const r = await page.evaluate(() => globalThis.__check);
  await browser.close();
  console.log(JSON.stringify(r, null, 2));
  const checks = {
    'no error': !r.error,
    'three classes of 40': JSON.stringify(r.summary?.perClass) === '[40,40,40]',
    'PNG pixels decoded exactly': r.pixelMismatches === 0,
    'stratified split 12/72/36': r.counts?.calibration === 12 && r.counts?.training === 72 && r.counts?.validation === 36,
    'refit reaches >= 95 % on validation (onnxruntime)': r.refit?.top1 >= 0.95,
    'training curve reported per iteration': r.refit?.curvePoints === r.refit?.iterations + 1,
    'cancel rejects with cancelled': /^cancelled/.test(r.cancel ?? ''),
    'bias correction of a model against itself moves nothing': r.bias?.applied > 0 && r.bias?.maxShift < 1e-5,
    'broken PNG named in the error': /b\/x\.png could not be read as an image/.test(r.badError ?? ''),
  };
  for (const [name, ok] of Object.entries(checks)) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
    if (!ok) failed = true;
  }
} finally {
  stop();
}
process.exit(failed ? 1 : 0);

/**
 * The explorer's live update in headless Chromium: from a prune slider's input event to the next
 * painted frame (store update, estimate on the main thread, React render of the table, cards and
 * charts), on the default model. Target: within one frame (16.7 ms at 60 Hz).
 */
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS as ARGS, withPreview, type BenchSection } from './harness.ts';

const PORT = 4319;
const SLIDER = '[data-testid="prune-/blocks/blocks.5/pw/conv/Conv"]';

export async function run(): Promise<BenchSection> {
  const title = 'Explorer: slider move to painted frame (headless Chromium, default model)';
  if (!existsSync(CHROMIUM)) return { title, body: `Not run: no Chromium at ${CHROMIUM}.` };
  return withPreview({ port: PORT }, async (url) => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(url);
      await page.waitForSelector(SLIDER, { timeout: 60_000 });
      // Let the baseline evaluation finish so the worker does not compete with the measurement.
      await page.waitForSelector('[data-testid="baseline-top1"]', { timeout: 120_000 });
      // A string, not a function: tsx would wrap a function's inner helpers in __name(), unknown in the page.
      const samples = (await page.evaluate(`(async () => {
        const slider = document.querySelector('${SLIDER}');
        const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
        const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const times = [];
        const max = Number(slider.max);
        for (let i = 0; i < 40; i++) {
          await nextFrame();
          const t0 = performance.now();
          setValue.call(slider, String(i % 2 ? max : Math.floor(max / 2) - (i % 7)));
          slider.dispatchEvent(new Event('input', { bubbles: true }));
          await nextFrame();
          times.push(performance.now() - t0);
        }
        return times;
      })()`)) as number[];
      const sorted = [...samples].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      const p90 = sorted[Math.floor(sorted.length * 0.9)];
      return {
        title,
        body: [
          `${samples.length} slider moves on the last pointwise layer (the measured-accuracy worker is debounced and idle during the moves).`,
          'Time from the input event to the first animation frame after it (React render and paint included).',
          '',
          '| median | 90th percentile | max | target |',
          '|---|---|---|---|',
          `| ${median.toFixed(1)} ms | ${p90.toFixed(1)} ms | ${sorted.at(-1)!.toFixed(1)} ms | one frame (16.7 ms) |`,
        ].join('\n'),
      };
    } finally {
      await browser.close();
    }
  });
}

/**
 * The explorer as one view (issue 15): both panes in the viewport, drags that never start a
 * measurement, the measurement cache across reloads, chart export, a third-party model's exports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { zipSync } from 'fflate';
import { expect, test, type Page, type TestInfo } from '@playwright/test';

const LAST_PW = '/blocks/blocks.5/pw/conv/Conv';
const accuracy = (page: Page) => page.getByTestId('metric-accuracy').locator('.metric-value');
const measureJobs = async (page: Page) => Number(await page.getByTestId('measure-note').getAttribute('data-measure-jobs'));

/** Screenshots for docs/user-guide.md come from these runs: DOCS_SCREENSHOTS=1 writes them into docs/images. */
const shot = (page: Page, testInfo: TestInfo, name: string) =>
  page.screenshot({ path: process.env.DOCS_SCREENSHOTS ? new URL(`../docs/images/${name}`, import.meta.url).pathname : testInfo.outputPath(name) });

async function inViewport(page: Page, testId: string) {
  const box = (await page.getByTestId(testId).boundingBox())!;
  const { width, height } = page.viewportSize()!;
  // At least the top 120 px (or the whole element) inside the window, not scrolled away.
  expect(box.y, `${testId} top`).toBeGreaterThanOrEqual(0);
  expect(box.y + Math.min(box.height, 120), `${testId} visible height`).toBeLessThanOrEqual(height);
  expect(box.x + box.width, `${testId} right edge`).toBeLessThanOrEqual(width + 1);
}

test('both panes at 1280x720; a drag changes the charts without a measurement; reload shows the cached accuracy; chart export', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  await expect(page.getByTestId('layer-table')).toBeVisible();
  await expect(page.getByTestId('chart-cycles')).toBeVisible();
  for (const id of ['layer-table', 'chart-accuracy-fps', 'chart-resources', 'chart-cycles']) await inViewport(page, id);
  const page0 = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]);
  expect(page0).toEqual([1280, 720]); // the page itself never scrolls: each pane scrolls on its own

  // Measure on 500 images (the baseline too), then drag the bottleneck layer's prune slider and hold it.
  await page.getByTestId('eval-limit').selectOption('500');
  await expect(accuracy(page)).toHaveText(/^\d+\.\d\d %$/, { timeout: 120_000 });
  const jobsBefore = await measureJobs(page);
  const cyclesBars = () => page.getByTestId('chart-cycles').locator('g.bar title').allTextContents();
  const cycles0 = await cyclesBars();
  expect(cycles0.length).toBeGreaterThan(5);
  const fps0 = await page.getByTestId('metric-fps').locator('.metric-value').innerText();
  const slider = page.getByTestId(`prune-${LAST_PW}`);
  const box = (await slider.boundingBox())!;
  await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2, { steps: 6 });
  // Held still for twice the quiet period: the charts follow, no measurement starts.
  await page.waitForTimeout(1_500);
  await expect(page.getByTestId('metric-fps').locator('.metric-value')).not.toHaveText(fps0);
  await expect(page.getByTestId(`channels-${LAST_PW}`)).not.toHaveText('256 / 256');
  expect(await cyclesBars()).not.toEqual(cycles0);
  await expect(page.getByTestId('measure-progress')).toHaveCount(0);
  expect(await measureJobs(page)).toBe(jobsBefore);
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 4 });
  await page.waitForTimeout(1_000);
  expect(await measureJobs(page)).toBe(jobsBefore);
  await page.mouse.up();
  // Released: the design is still, so it is measured (one job for the whole drag).
  await expect.poll(() => measureJobs(page), { timeout: 10_000 }).toBe(jobsBefore + 1);
  await expect(accuracy(page)).toHaveText(/^\d+\.\d\d %$/, { timeout: 120_000 });
  const measured = await accuracy(page).innerText();
  await shot(page, testInfo, 'explorer-one-view.png');

  // Chart export: the chart itself, not a legend icon.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save cycles chart as PNG' }).click()]);
  const png = PNG.sync.read(readFileSync((await download.path())!));
  console.log(`cycles chart PNG: ${png.width} x ${png.height} px`);
  expect(png.width).toBeGreaterThan(200);
  expect(png.height).toBeGreaterThan(100);

  // Reload: the last measured accuracy is back within 2 s, from the cache, with no measurement job.
  await page.waitForTimeout(800); // the session is saved 300 ms after the last change
  await page.reload();
  const start = Date.now();
  await expect(accuracy(page)).toHaveText(measured, { timeout: 2_000 });
  console.log(`measured accuracy shown ${Date.now() - start} ms after reload`);
  await expect(page.getByTestId('measured-detail')).toContainText('(cache)');
  await page.waitForTimeout(2_000);
  expect(await measureJobs(page)).toBe(0);
  await expect(page.getByTestId('baseline-top1')).toBeVisible(); // the baseline came from the cache too
});

test('nothing overflows sideways at 1024 px', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.goto('/');
  await expect(page.getByTestId('layer-table')).toBeVisible();
  await expect(page.getByTestId('chart-cycles')).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
  await shot(page, testInfo, 'explorer-1024.png');
});

test('the pipeline picture selects a layer row', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  const bottleneck = page.getByTestId('pipeline').locator('.engine.bottleneck');
  await expect(bottleneck).toHaveCount(1);
  await bottleneck.click();
  await expect(page.getByRole('checkbox', { name: `Select ${LAST_PW}` })).toBeChecked();
  await page.getByTestId('pipeline').scrollIntoViewIfNeeded();
  await page.getByTestId('pipeline').screenshot({ path: process.env.DOCS_SCREENSHOTS ? new URL('../docs/images/pipeline.png', import.meta.url).pathname : testInfo.outputPath('pipeline.png') });
});

/** An image-folder zip of 49x10 grayscale noise in two classes: data of the KWS model's input shape. */
function kwsShapedZip(): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  let seed = 7;
  for (const label of ['yes', 'no']) {
    for (let i = 0; i < 20; i++) {
      const image = new PNG({ width: 10, height: 49 });
      for (let p = 0; p < 490; p++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const v = (seed >>> 16) & 255;
        image.data.set([v, v, v, 255], 4 * p);
      }
      files[`kws/${label}/${i}.png`] = new Uint8Array(PNG.sync.write(image, { colorType: 0 }));
    }
  }
  return zipSync(files);
}

test.describe('third-party models', () => {
  const kws = new URL('../../shared/fixtures/third_party/mlperf-tiny-kws-dscnn-float32.onnx', import.meta.url);
  test('the KWS model gets the model-wide activation width once data of its input is imported', async ({ page }) => {
    test.skip(!existsSync(kws), `third-party fixtures not found at ${kws.pathname}`);
    test.setTimeout(180_000);
    await page.goto('/');
    await expect(page.getByTestId('model-name')).toBeVisible();
    await page.getByTestId('model-file-input').setInputFiles({ name: 'kws.onnx', mimeType: 'application/octet-stream', buffer: readFileSync(kws) });
    await expect(page.getByTestId('model-summary')).toContainText('kws.onnx');
    await page.getByTestId('tab-settings').click();
    const select = page.getByTestId('activation-bits');
    await expect(select).toHaveValue('float');
    await expect(select.locator('option[value="8"]')).toBeDisabled();
    await expect(page.getByTestId('activation-bits-note')).toBeVisible();

    await page.getByTestId('tab-data').click();
    await page.getByTestId('data-file-input').setInputFiles({ name: 'kws.zip', mimeType: 'application/zip', buffer: Buffer.from(kwsShapedZip()) });
    await expect(page.getByTestId('data-identity')).toContainText('40 images, 2 classes', { timeout: 60_000 });
    await expect(page.getByTestId('data-needed')).toHaveCount(0);
    // Offered where the "no matching data" line was, and in the settings.
    await page.getByTestId('activations-offer-8').click();
    await expect(page.getByTestId('activations-offer')).toHaveCount(0);
    await page.getByTestId('tab-settings').click();
    await expect(select).toHaveValue('8');
    await expect(page.getByTestId('activation-bits-note')).toHaveCount(0);
    await select.selectOption('4');
    await expect(page.getByRole('combobox', { name: /^Activation bits of / }).first()).toHaveValue('4');
    await expect(page.getByTestId('export-accelerator')).toBeEnabled();
  });

  test('the KWS model without matching data: says which data it needs, exports a weight-only config and ONNX', async ({ page }) => {
    test.skip(!existsSync(kws), `third-party fixtures not found at ${kws.pathname}`);
    test.setTimeout(120_000);
    await page.goto('/');
    await expect(page.getByTestId('model-name')).toBeVisible();
    await page.getByTestId('model-file-input').setInputFiles({ name: 'kws.onnx', mimeType: 'application/octet-stream', buffer: readFileSync(kws) });
    await expect(page.getByTestId('model-summary')).toContainText('kws.onnx');
    await expect(page.getByTestId('data-needed')).toContainText('[1, 49, 10, 1]');
    await page.getByTestId('data-needed-import').click();
    await expect(page.getByTestId('data-file-input')).toBeAttached();

    const [configDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-config').click()]);
    const config = JSON.parse(readFileSync((await configDownload.path())!, 'utf8'));
    expect(config.model.file).toBe('kws.onnx');
    expect(config.accuracy).toBeNull();
    const layers = config.quantization.layers as { weightBits: number; activationBits: number | null }[];
    expect(layers.length).toBeGreaterThan(0);
    for (const l of layers) expect(l.activationBits ?? null).toBeNull(); // weights only: no calibration data needed
    expect(config.estimates.fps).toBeGreaterThan(0);

    const [onnxDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export compressed ONNX' }).click()]);
    expect(onnxDownload.suggestedFilename()).toBe('kws.compressed.onnx');
    const bytes = readFileSync((await onnxDownload.path())!);
    expect(bytes.byteLength).toBeGreaterThan(10_000);
  });
});

import { expect, test } from '@playwright/test';

test.describe('edgefold app', () => {
  test('opens with the default model, shows its layers and measures baseline accuracy in a worker', async ({ page }, testInfo) => {
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto('/');
    await expect(page.getByTestId('model-name')).toBeVisible();
    await expect(page.getByTestId('model-summary')).toContainText('dscnn-fmnist.onnx');
    const rows = page.getByTestId('layer-table').locator('tbody tr');
    await expect(rows.first()).toBeVisible();
    expect(await rows.count()).toBeGreaterThan(10);
    await expect(page.getByTestId('layer-table')).toContainText('depthwise');
    await expect(page.getByTestId('layer-table')).toContainText('pointwise');

    // The page keeps answering while the worker evaluates.
    await expect(page.getByTestId('baseline-progress')).toBeVisible();
    expect(await page.evaluate(() => new Promise<number>((r) => requestAnimationFrame((t) => r(t))))).toBeGreaterThan(0);

    const top1 = page.getByTestId('baseline-top1');
    await expect(top1).toBeVisible({ timeout: 90_000 });
    const text = await top1.innerText();
    const value = Number(/([\d.]+) %/.exec(text)?.[1]);
    expect(value).toBeGreaterThanOrEqual(92);
    expect(text).toMatch(/95 % CI/);
    await expect(page.getByTestId('baseline-speed')).toContainText('images/s');
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);

    await page.screenshot({ path: testInfo.outputPath('app-default-model.png'), fullPage: true });
    await testInfo.attach('app-default-model', { path: testInfo.outputPath('app-default-model.png'), contentType: 'image/png' });
    expect(pageErrors).toEqual([]);
  });

  test('a garbage file shows a clear error and keeps the open model', async ({ page }, testInfo) => {
    await page.goto('/');
    await expect(page.getByTestId('model-name')).toBeVisible();
    const nameBefore = await page.getByTestId('model-name').innerText();
    const paramsBefore = await page.getByTestId('model-params').innerText();

    await page.getByTestId('model-file-input').setInputFiles({
      name: 'garbage.onnx',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('definitely not an onnx model, just some text\n'.repeat(20)),
    });
    await expect(page.getByTestId('load-error')).toContainText('garbage.onnx is not an ONNX model');
    await expect(page.getByTestId('model-name')).toHaveText(nameBefore);
    await expect(page.getByTestId('model-params')).toHaveText(paramsBefore);
    await expect(page.getByTestId('model-summary')).toContainText('dscnn-fmnist.onnx');

    await page.getByTestId('model-file-input').setInputFiles({ name: 'empty.onnx', mimeType: 'application/octet-stream', buffer: Buffer.alloc(0) });
    await expect(page.getByTestId('load-error')).toContainText('empty.onnx is empty');
    await expect(page.getByTestId('model-name')).toHaveText(nameBefore);
    await page.screenshot({ path: testInfo.outputPath('app-load-error.png'), fullPage: true });
  });
});

test.describe('third-party models', () => {
  const kws = new URL('../../shared/fixtures/third_party/mlperf-tiny-kws-dscnn-float32.onnx', import.meta.url);
  test('opening the MLPerf Tiny KWS model by file picker shows its layers and why accuracy is unavailable', async ({ page }) => {
    const { existsSync, readFileSync } = await import('node:fs');
    test.skip(!existsSync(kws), `third-party fixtures not found at ${kws.pathname}`);
    await page.goto('/');
    await expect(page.getByTestId('model-name')).toBeVisible();
    await page.getByTestId('model-file-input').setInputFiles({
      name: 'kws.onnx',
      mimeType: 'application/octet-stream',
      buffer: readFileSync(kws),
    });
    await expect(page.getByTestId('model-summary')).toContainText('kws.onnx');
    await expect(page.getByTestId('model-params')).toHaveAttribute('title', '22,604');
    await expect(page.getByTestId('layer-table').locator('tbody tr')).toHaveCount(11);
    await expect(page.getByTestId('baseline-error')).toContainText('takes input [1, 49, 10, 1]');
    await expect(page.getByTestId('data-needed')).toContainText('49×10 inputs with 1 channel');
  });
});

/**
 * The Recovery panel's result survives a reload (issue 15 section 4): shown at once from the
 * stores, with no new job, and its "Download recovered ONNX" gives the bytes the run recorded.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';

const recoveryJobs = async (page: Page) => Number(await page.getByTestId('recovery').getAttribute('data-recovery-jobs'));

test('a recovery run is back after a reload with no new job; its exported ONNX is the recovered model', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  // 500 test images from the start: the float baseline on 10,000 takes minutes on a loaded machine.
  await expect(page.getByRole('heading', { name: 'Layers (15)' })).toBeVisible({ timeout: 90_000 });
  await page.getByTestId('eval-limit').selectOption('500');
  await expect(page.getByTestId('baseline-top1')).toBeVisible({ timeout: 120_000 });
  // Bias correction only, on the default W8/A8 design: the quickest recovery run there is.
  await page.getByTestId('tab-recovery').click();
  const panel = page.getByTestId('recovery');
  await panel.getByRole('checkbox', { name: 'head re-fit' }).uncheck();
  await expect(panel.getByRole('checkbox', { name: 'bias correction' })).toBeChecked();
  await page.getByTestId('recovery-run').click();
  const row = page.getByTestId('recovery-row-bias-correction');
  await expect(row).toContainText('500 images', { timeout: 240_000 });
  await expect(page.getByTestId('recovery-download')).toBeVisible();
  expect(await recoveryJobs(page)).toBe(1);
  const recorded = await page.getByTestId('recovery-sha256').getAttribute('data-sha256');
  expect(recorded).toMatch(/^[0-9a-f]{64}$/);
  const rowBefore = await row.innerText();
  const compressedBefore = await page.getByTestId('recovery-row-compressed').innerText();

  await page.waitForTimeout(800); // the session is saved 300 ms after the last change
  await page.reload();
  const start = Date.now();
  // The tab is restored with the session; the result is shown from the stores, no job runs.
  await expect(page.getByTestId('recovery-from-cache')).toBeVisible({ timeout: 30_000 });
  console.log(`recovery result shown ${Date.now() - start} ms after reload`);
  expect(await page.getByTestId('recovery-row-bias-correction').innerText()).toBe(rowBefore);
  expect(await page.getByTestId('recovery-row-compressed').innerText()).toBe(compressedBefore);
  await expect(page.getByTestId('recovery-progress')).toHaveCount(0);
  expect(await recoveryJobs(page)).toBe(0);
  await expect(page.getByTestId('recovery-sha256')).toHaveAttribute('data-sha256', recorded!);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('recovery-download').click()]);
  expect(download.suggestedFilename()).toBe('dscnn-fmnist.recovered.onnx');
  const bytes = readFileSync((await download.path())!);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(recorded);
  // ... and it is not the bundled float model.
  expect(createHash('sha256').update(readFileSync('public/models/dscnn-fmnist.onnx')).digest('hex')).not.toBe(recorded);
  await page.waitForTimeout(2_000);
  expect(await recoveryJobs(page)).toBe(0);
});

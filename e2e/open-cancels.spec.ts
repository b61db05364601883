/**
 * Issue 15: opening another model stops the old model's jobs at once (before the new file's
 * checks), and a cancelled or refused open keeps the old model, whose numbers come back by
 * themselves. An export says it is busy until its file is written.
 */
import { expect, test, type Page } from '@playwright/test';

const LAST_PW = '/blocks/blocks.5/pw/conv/Conv';
const measureJobs = async (page: Page) => Number(await page.getByTestId('measure-note').getAttribute('data-measure-jobs'));

test('opening another model cancels the old model\'s jobs at once; a cancelled or refused open keeps the old model and resumes them', async ({ page }) => {
  test.setTimeout(300_000);
  const { convReluChain } = await import('../test/chain.ts');
  const { hostileFloatDataModel } = await import('../test/hostile.ts');
  await page.goto('/');
  await expect(page.getByTestId('model-name')).toBeVisible();
  const name = await page.getByTestId('model-name').innerText();

  // The float baseline (10,000 images) runs; a deep model takes its worker a while to check.
  await expect(page.getByTestId('baseline-progress')).toBeVisible();
  await page.getByTestId('model-file-input').setInputFiles({ name: 'deep.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(convReluChain(100_000)) });
  await expect(page.getByTestId('model-opening')).toContainText('Opening deep.onnx');
  // Stopped while the new file is still being checked, not after.
  await expect(page.getByTestId('baseline-progress')).toHaveCount(0, { timeout: 10_000 });
  await expect(page.getByTestId('model-opening')).toBeVisible();
  await page.getByTestId('model-opening-cancel').click();
  await expect(page.getByTestId('load-error')).toContainText('Opening deep.onnx was cancelled; the open model stays.');
  await expect(page.getByTestId('model-name')).toHaveText(name);
  // The old model's baseline starts again by itself.
  await expect(page.getByTestId('baseline-progress')).toBeVisible();

  // Smaller measurements from here; a design change measures once the design is still.
  await page.getByTestId('eval-limit').selectOption('1000');
  await expect(page.getByTestId('baseline-top1')).toBeVisible({ timeout: 180_000 });
  await page.waitForTimeout(1_000);
  await expect(page.getByTestId('measure-progress')).toHaveCount(0, { timeout: 180_000 });
  const jobs = await measureJobs(page);
  await page.getByTestId(`prune-${LAST_PW}`).focus();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('measure-progress')).toBeVisible({ timeout: 10_000 });
  expect(await measureJobs(page)).toBe(jobs + 1);

  // A refused file: the running measurement was stopped for it and starts again afterwards.
  await page.getByTestId('model-file-input').setInputFiles({ name: 'bomb.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(hostileFloatDataModel()) });
  await expect(page.getByTestId('load-error')).toContainText('bomb.onnx');
  await expect(page.getByTestId('model-name')).toHaveText(name);
  await expect.poll(() => measureJobs(page), { timeout: 10_000 }).toBe(jobs + 2);
  await expect(page.getByTestId('metric-accuracy').locator('.metric-value')).toHaveText(/^\d+\.\d\d %$/, { timeout: 180_000 });
});

test('export config says it is busy until its file is written (timings of an export after a measurement logged)', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await expect(page.getByTestId('model-name')).toBeVisible();
  await page.getByTestId('eval-limit').selectOption('500');
  // The default design (W8A8) measured: its calibration is now known to the evaluator worker.
  await expect(page.getByTestId('metric-accuracy').locator('.metric-value')).toHaveText(/^\d+\.\d\d %$/, { timeout: 180_000 });
  const button = page.getByTestId('export-config');
  for (const round of ['after the measurement', 'again']) {
    // The busy state may last less than a poll: the page records every state the button shows.
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="export-config"]')!;
      const seen: string[] = [];
      (window as unknown as { exportStates: string[] }).exportStates = seen;
      new MutationObserver(() => seen.push(`${el.getAttribute('aria-busy')}:${el.textContent}`)).observe(el, { attributes: true, childList: true, subtree: true, characterData: true });
    });
    const started = Date.now();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), button.click()]);
    console.log(`export config ${round}: ${Date.now() - started} ms`);
    expect(download.suggestedFilename()).toBe('dscnn-fmnist.deployment.json');
    await expect(button).toHaveText('Export config');
    await expect(button).not.toHaveAttribute('aria-busy', 'true');
    expect(await page.evaluate(() => (window as unknown as { exportStates: string[] }).exportStates)).toContain('true:Exporting config…');
  }
});

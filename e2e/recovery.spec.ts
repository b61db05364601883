import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';

const MID_PW = '/blocks/blocks.2/pw/conv/Conv';

const accuracyValue = (page: Page) => page.getByTestId('metric-accuracy').locator('.metric-value');
const percent = async (page: Page) => Number((await accuracyValue(page).innerText()).replace(/[^\d.]/g, ''));

async function waitMeasured(page: Page) {
  await expect(accuracyValue(page)).toHaveText(/^\d+\.\d\d %$/, { timeout: 120_000 });
}

test('a harsh prune collapses; reconstruction and a retrain win it back; cancel keeps the previous result; the point and the config carry it', async ({ page }, testInfo) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await expect(page.getByTestId('baseline-top1')).toBeVisible({ timeout: 90_000 });
  await page.getByTestId('eval-limit').selectOption('500');
  await page.getByTestId('round-to').selectOption('1');

  // One pointwise layer pruned hard (96 -> 16 channels): the card says the design collapsed.
  const slider = page.getByTestId(`prune-${MID_PW}`);
  await slider.focus();
  for (let i = 0; i < 80; i++) await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId(`channels-${MID_PW}`)).toHaveText('16 / 96');
  await waitMeasured(page);
  const raw = await percent(page);
  await expect(page.getByTestId('collapse-warning')).toBeVisible();

  // One click: reconstruction, measured with the design from now on, the raw number beside it.
  await page.getByTestId('collapse-reconstruct').click();
  await expect(page.getByTestId('metric-accuracy').locator('.metric-detail')).toContainText('after reconstruction', { timeout: 120_000 });
  await waitMeasured(page);
  const reconstructed = await percent(page);
  expect(reconstructed).toBeGreaterThan(raw + 5);
  await expect(page.getByTestId('metric-accuracy').locator('.metric-detail')).toContainText(`without: ${raw.toFixed(2)} %`);

  // A retrain cancelled mid-epoch leaves the reconstructed result in place.
  await page.getByTestId('tab-recovery').click();
  await page.getByTestId('retrain-epochs').fill('1');
  await page.getByTestId('retrain-images').selectOption('5000');
  await page.getByTestId('retrain-run').click();
  await expect(page.getByTestId('retrain-status')).toContainText('epoch 1/1, step', { timeout: 120_000 });
  await page.getByTestId('retrain-cancel').click();
  await expect(page.getByTestId('retrain-status')).toContainText('Retrain cancelled');
  expect(await percent(page)).toBe(reconstructed);

  // One epoch on a small subset: the card, a saved point and the exported config show the recovered model.
  await page.getByTestId('retrain-images').selectOption('500');
  await page.getByTestId('retrain-run').click();
  await expect(page.getByTestId('retrain-status')).toContainText('measured after reconstruction + 1 epoch', { timeout: 240_000 });
  const retrained = await percent(page);
  await expect(page.getByTestId('metric-accuracy').locator('.metric-detail')).toContainText('reconstruction + 1 epoch QAT with KD');
  await page.getByTestId('tab-points').click();
  await page.getByTestId('point-name').fill('harsh prune, recovered');
  await page.getByTestId('save-point').click();
  await expect(page.getByTestId('point-top1').last()).toContainText(`${retrained.toFixed(2)} %`);
  await expect(page.getByTestId('point-top1').last()).toContainText('reconstruction + 1 epoch QAT');
  await expect(page.getByTestId('point-raw-top1').last()).toHaveText(`${raw.toFixed(2)} %`);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-config').click()]);
  const path = testInfo.outputPath('recovered.deployment.json');
  await download.saveAs(path);
  const config = JSON.parse(readFileSync(path, 'utf8'));
  expect(config.accuracy.top1).toBeCloseTo(retrained / 100, 6);
  expect(config.recovery.map((r: { step: string }) => r.step)).toEqual(['reconstruct', 'qat']);
  expect(config.recovery[0].accuracyBefore.top1).toBeCloseTo(raw / 100, 6);
  expect(config.recovery[1].accuracyAfter.top1).toBeCloseTo(retrained / 100, 6);
  expect(config.recovery[1].recipe).toMatchObject({ epochs: 1, seed: 1, qat: true });
  expect(config.recovery[1].data).toMatchObject({ dataset: 'Fashion-MNIST', split: 'train', images: 500 });
  expect(config.recoveryRecipe).toMatchObject({ reconstruct: true, retrain: { epochs: 1, trainImages: 500 } });
  expect(config.recoveredSha256).toMatch(/^[0-9a-f]{64}$/);
});

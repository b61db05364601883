/**
 * Results measured outside the tab, by the CLI through the job queue (issue 18 section 4): a
 * frontier and a retraining run are imported and shown as the app's own measurements, with where
 * they were measured. The files are real CLI output (e2e/fixtures/README.md says how they were made).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { expect, test } from '@playwright/test';

const FRONTIER = 'e2e/fixtures/frontier-queue.json';
const RETRAIN = 'e2e/fixtures/retrain-queue.json';

test('a frontier and a retraining result from job-queue workers are imported with their provenance; another model\'s file and a malformed one are refused', async ({ page }, testInfo) => {
  const frontier = JSON.parse(readFileSync(FRONTIER, 'utf8'));
  const retrain = JSON.parse(readFileSync(RETRAIN, 'utf8'));
  const modelSha = createHash('sha256').update(readFileSync('public/models/dscnn-fmnist.onnx')).digest('hex');
  expect(frontier.modelSha256, 'the fixtures belong to the bundled model: make them again (e2e/fixtures/README.md)').toBe(modelSha);
  const otherModel = testInfo.outputPath('other-model-frontier.json');
  writeFileSync(otherModel, JSON.stringify({ ...frontier, modelSha256: 'f'.repeat(64) }));
  const malformed = testInfo.outputPath('malformed-frontier.json');
  writeFileSync(malformed, JSON.stringify({ ...frontier, points: [{ ...frontier.points[0], measured: { ...frontier.points[0].measured, top1: 7 } }] }));

  await page.goto('/');
  await expect(page.getByTestId('metric-fps')).toBeVisible();
  await page.getByTestId('tab-sweeps').click();

  await page.getByTestId('results-file-input').setInputFiles(otherModel);
  await expect(page.getByTestId('load-error')).toContainText('was made from another model');
  await page.getByTestId('results-file-input').setInputFiles(malformed);
  await expect(page.getByTestId('load-error')).toContainText('points[0].measured.top1 must be a number from 0 to 1');
  await expect(page.getByTestId('frontier-row')).toHaveCount(0);

  await page.getByTestId('results-file-input').setInputFiles(FRONTIER);
  await expect(page.getByTestId('load-error')).toHaveCount(0);
  await expect(page.getByTestId('frontier-row')).toHaveCount(frontier.points.length);
  await expect(page.getByTestId('frontier-status')).toContainText('measured on 1 host (job queue), engine native, 100 images');
  const shown = await page.getByTestId('frontier-measured').allInnerTexts();
  expect(shown).toEqual(frontier.points.map((p: { measured: { top1: number } }) => `${(100 * p.measured.top1).toFixed(2)} %`));

  await page.getByTestId('results-file-input').setInputFiles(RETRAIN);
  await expect(page.getByTestId('load-error')).toHaveCount(0);

  await page.getByTestId('tab-points').click();
  const rows = page.getByTestId('point-row');
  await expect(rows).toHaveCount(frontier.points.length + 1);
  for (let i = 0; i < frontier.points.length; i++) {
    await expect(rows.nth(i).getByTestId('point-top1')).toContainText(`${(100 * frontier.points[i].measured.top1).toFixed(2)} %`);
    await expect(rows.nth(i).getByTestId('point-provenance')).toHaveText('measured on 1 host (job queue), engine native, 100 images');
  }
  const retrained = rows.nth(frontier.points.length);
  await expect(retrained.getByTestId('point-top1')).toContainText(`${(100 * retrain.accuracy.after.top1).toFixed(2)} %`);
  await expect(retrained.getByTestId('point-top1')).toContainText('1 epoch fine-tuning with KD');
  await expect(retrained.getByTestId('point-provenance')).toHaveText('measured on 1 host (job queue), engine native, 100 images');
});

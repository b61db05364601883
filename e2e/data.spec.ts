import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';

/**
 * Bring your own data, in the browser: an ImageFolder zip built here from Fashion-MNIST test
 * images (public/data), relabelled into three groups the model was never trained on, is
 * imported, mapped onto the model's outputs, the head is re-fitted in a worker, and the measured
 * accuracy on the imported validation split rises. Then recovery runs on the compressed design.
 */

const GROUPS: Record<string, number[]> = {
  footwear: [5, 7, 9], // Sandal, Sneaker, Ankle boot
  other: [1, 3, 8], // Trouser, Dress, Bag
  tops: [0, 2, 4, 6], // T-shirt/top, Pullover, Coat, Shirt
};
const PER_CLASS = 40;

function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  const raw = gunzipSync(readFileSync(new URL(`../public/data/${path}`, import.meta.url)));
  const rank = raw[3];
  const dims = Array.from({ length: rank }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(raw.buffer, raw.byteOffset + 4 + 4 * rank) };
}

function png(gray: Uint8Array, width: number, height: number): Uint8Array {
  const image = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) image.data.set([gray[p], gray[p], gray[p], 255], 4 * p);
  return new Uint8Array(PNG.sync.write(image, { colorType: 0 }));
}

/** groups/<group>/<class>-<index>.png: PER_CLASS images of each Fashion-MNIST class of the group. */
function groupsZip(): Uint8Array {
  const images = readIdx('fmnist-test-images-idx3-ubyte.gz');
  const labels = readIdx('fmnist-test-labels-idx1-ubyte.gz');
  const files: Record<string, Uint8Array> = {};
  for (const [group, classes] of Object.entries(GROUPS)) {
    for (const c of classes) {
      let taken = 0;
      for (let i = 0; i < labels.data.length && taken < PER_CLASS; i++) {
        if (labels.data[i] !== c) continue;
        files[`groups/${group}/${c}-${String(i).padStart(5, '0')}.png`] = png(images.data.subarray(i * 784, (i + 1) * 784), 28, 28);
        taken++;
      }
    }
  }
  return zipSync(files);
}

const percent = async (page: Page, testId: string) => Number(/([\d.]+) %/.exec(await page.getByTestId(testId).innerText())?.[1]);

test('import an image-folder zip, map labels, re-fit the head and see accuracy rise; then recover a compressed design', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/');
  await expect(page.getByTestId('model-summary')).toContainText('dscnn-fmnist.onnx');
  await expect(page.getByTestId('baseline-top1')).toBeVisible({ timeout: 90_000 });

  // Import: a zip picked with the file input (in the Data tab).
  await page.getByTestId('tab-data').click();
  const zip = groupsZip();
  await page.getByTestId('data-file-input').setInputFiles({ name: 'groups.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
  await expect(page.getByTestId('data-name')).toHaveText('groups');
  const total = Object.values(GROUPS).flat().length * PER_CLASS;
  await expect(page.getByTestId('data-identity')).toContainText(`${total} images, 3 classes`);
  await expect(page.getByTestId('data-split')).toContainText('seed 1: 280 training, 80 validation, 40 calibration');
  await expect(page.getByTestId('data-tile')).toHaveCount(16);
  await expect(page.getByTestId('data-preview')).toContainText('footwear');
  await expect(page.getByTestId('data-preview')).toContainText('tops');
  const datasetId = await page.getByTestId('data-id').getAttribute('title');
  expect(datasetId).toMatch(/^[0-9a-f]{64}$/);

  // A broken image names the file, and the session keeps the imported dataset.
  const broken = zipSync({ 'bad/a/1.png': png(new Uint8Array(784).fill(128), 28, 28), 'bad/b/2.png': new Uint8Array([137, 80, 78, 71, 1, 2, 3]) });
  await page.getByTestId('data-file-input').setInputFiles({ name: 'bad.zip', mimeType: 'application/zip', buffer: Buffer.from(broken) });
  await expect(page.getByTestId('data-error')).toContainText('b/2.png');
  await expect(page.getByTestId('data-error')).toContainText('groups is still in use');
  await expect(page.getByTestId('data-name')).toHaveText('groups');
  await expect(page.getByTestId('data-id')).toHaveAttribute('title', datasetId!);

  // Label mapping: no class names match the model's, so the user maps each group to one output.
  await page.getByTestId('mapping-select-0').selectOption('7'); // footwear -> Sneaker
  await page.getByTestId('mapping-select-1').selectOption('8'); // other -> Bag
  await page.getByTestId('mapping-select-2').selectOption('0'); // tops -> T-shirt/top
  await expect(page.getByTestId('mapping-table')).toContainText('set by you');

  // Evaluate on the imported validation split: the original head scores poorly on the groups.
  await page.getByTestId('eval-source-imported').check();
  await expect(page.getByTestId('baseline')).toContainText('(groups, validation)', { timeout: 60_000 });
  const before = await percent(page, 'baseline-top1');
  expect(before).toBeLessThan(60);
  await page.screenshot({ path: testInfo.outputPath('data-imported.png'), fullPage: true });

  // Cancelling a re-fit keeps the previous head (and model).
  await page.getByTestId('refit-button').click();
  await page.getByTestId('refit-cancel').click();
  await expect(page.getByTestId('refit-cancelled')).toBeVisible();
  await expect(page.getByTestId('model-summary')).toContainText('dscnn-fmnist.onnx');
  await expect(page.getByTestId('model-summary')).not.toContainText('refit');

  // Re-fit: live curves, then the re-fitted model is open and measured again.
  await page.getByTestId('refit-button').click();
  await expect(page.getByTestId('chart-refit-accuracy')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('refit-result')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('model-summary')).toContainText('dscnn-fmnist.refit.onnx');
  const refitBefore = await percent(page, 'refit-before');
  const refitAfter = await percent(page, 'refit-after');
  expect(refitBefore).toBeCloseTo(before, 1);
  expect(refitAfter).toBeGreaterThan(85);
  expect(refitAfter - refitBefore).toBeGreaterThan(30);
  await expect(page.getByTestId('baseline')).toContainText('(groups, validation)', { timeout: 60_000 });
  const after = await percent(page, 'baseline-top1');
  expect(after).toBeCloseTo(refitAfter, 1);
  console.log(`imported "groups" (${total} images): top-1 before re-fit ${before} %, after ${after} % (validation, 80 images)`);
  // The new head names its outputs after the dataset classes, so the default mapping is by name.
  await expect(page.getByTestId('mapping-table')).toContainText('matched by class name');
  await page.getByTestId('refit').screenshot({ path: testInfo.outputPath('data-refit.png') });

  // Recovery on the compressed design (default: 8-bit weights and activations), on the imported data,
  // with reconstruction switched on in the design's recipe (one switch for every measurement and this run).
  await page.getByTestId('tab-recovery').click();
  await page.getByTestId('design-reconstruct').check();
  await page.getByTestId('recovery-run').click();
  await expect(page.getByTestId('recovery-row-head-refit')).toContainText('%', { timeout: 120_000 });
  await expect(page.getByTestId('recovery-download')).toBeVisible();
  for (const row of ['recovery-row-compressed', 'recovery-row-reconstruct', 'recovery-row-bias-correction', 'recovery-row-head-refit']) await expect(page.getByTestId(row)).toContainText('80 images');
  await page.getByTestId('recovery').screenshot({ path: testInfo.outputPath('data-recovery.png') });

  // The deployment config names the imported dataset and lists the recovery steps.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-config').click()]);
  const config = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(config.dataset.name).toBe('groups');
  expect(config.dataset.split).toBe('validation');
  expect(config.dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(config.dataset.identity.id).toBe(datasetId);
  expect(config.dataset.identity.counts).toBeTruthy();
  expect(config.recovery.map((s: { step: string }) => s.step)).toEqual(['reconstruct', 'bias-correction', 'head-refit']);
  // nothing is pruned in this design: reconstruction finds no layer to re-solve and says so
  expect(config.recovery[0].layersReconstructed).toBe(0);
  expect(config.recovery[2].accuracyAfter.provenance).toBe('measured');

  await page.screenshot({ path: testInfo.outputPath('data-final.png'), fullPage: true });

  // The session keeps the imported dataset: after a reload it is imported again from the saved
  // files, with the same identity, evaluation source and (re-fitted) model.
  await page.waitForTimeout(1_000); // the session is saved 300 ms after the last change
  await page.reload();
  await expect(page.getByTestId('model-summary')).toContainText('dscnn-fmnist.refit.onnx', { timeout: 60_000 });
  await page.getByTestId('tab-data').click();
  await expect(page.getByTestId('data-name')).toHaveText('groups', { timeout: 60_000 });
  await expect(page.getByTestId('data-id')).toHaveAttribute('title', datasetId!);
  await expect(page.getByTestId('eval-source-imported')).toBeChecked();
  await expect(page.getByTestId('baseline')).toContainText('(groups, validation)', { timeout: 60_000 });
  expect(await percent(page, 'baseline-top1')).toBeCloseTo(after, 1);
  expect(pageErrors).toEqual([]);
});

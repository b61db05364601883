/**
 * A sweep measured elsewhere (by the CLI, or on job-queue workers: issue 18) is read into the app
 * and shown as its own sweeps are, with where its numbers come from.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { expectLegendInSvgExport } from './chart-export.ts';

test('a CLI sweep of the open model is imported with its provenance; one of another model is refused by name', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const out = testInfo.outputPath('cli-sweep.json');
  execFileSync(process.execPath, ['bin/edgefold.mjs', 'sensitivity', 'public/models/dscnn-fmnist.onnx', '--prune', '0.5', '--limit', '100', '--workers', '1', '--no-cache', '-q', '-o', out]);
  const sweep = JSON.parse(readFileSync(out, 'utf8'));
  // The document a job-queue run writes: the same, with the hosts its workers ran on (src/cli/queue/queue.test.ts checks that part).
  const queued = testInfo.outputPath('queued-sweep.json');
  writeFileSync(queued, JSON.stringify({ ...sweep, stats: { ...sweep.stats, hosts: ['host-a', 'host-b', 'host-c'] } }));
  const otherModel = testInfo.outputPath('other-model-sweep.json');
  writeFileSync(otherModel, JSON.stringify({ ...sweep, model: { ...sweep.model, name: 'kws', hash: 'f'.repeat(64) } }));

  await page.goto('/');
  await expect(page.getByTestId('metric-fps')).toBeVisible();
  await page.getByTestId('tab-sweeps').click();

  await page.getByTestId('sweep-file-input').setInputFiles(otherModel);
  await expect(page.getByTestId('load-error')).toContainText('was measured on model "kws"');

  await page.getByTestId('sweep-file-input').setInputFiles(out);
  await expect(page.getByTestId('sweep-summary')).toContainText(`${sweep.points.length} points on 100 images`);
  await expect(page.getByTestId('sweep-summary')).toContainText('measured on this machine, engine wasm, 100 images');
  await expect(page.getByTestId('chart-sensitivity-prune')).toBeVisible();
  // Its curves' names (the layer table's numbers) are in the exported image's legend.
  expect((await expectLegendInSvgExport(page, 'sensitivity-prune')).every((n) => /^#\d+$/.test(n))).toBe(true);

  await page.getByTestId('sweep-file-input').setInputFiles(queued);
  await expect(page.getByTestId('sweep-summary')).toContainText('measured on 3 hosts (job queue), engine wasm, 100 images');
  await expect(page.getByTestId('load-error')).toHaveCount(0);
});

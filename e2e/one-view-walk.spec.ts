/**
 * Gaps found walking issue 15 in Chromium (docs/decisions.md, "Issue 15 walk"): charts cut off at
 * 1280x720, a page that scrolled with a long layer table, names cut where rows differ, a status
 * pushed off its card by an imported model's layer name, a chart export that dropped half the card.
 */
import { existsSync, readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { expect, test, type Page } from '@playwright/test';
import { expectLegendInSvgExport } from './chart-export.ts';

const fixture = (name: string) => new URL(`../../shared/fixtures/third_party/${name}`, import.meta.url);
const KWS = fixture('mlperf-tiny-kws-dscnn-float32.onnx');
const ULTRAFACE = fixture('ultraface-slim-320.onnx');

async function openThirdParty(page: Page, file: URL, name: string) {
  await page.goto('/');
  await expect(page.getByTestId('model-name')).toBeVisible();
  await page.getByTestId('model-file-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: readFileSync(file) });
  await expect(page.getByTestId('model-summary')).toContainText(name);
}

test('at 1280x720 the three live charts are whole in the window, long names show their distinct end, the resources export holds both its charts', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  await expect(page.getByTestId('chart-cycles').locator('svg.chart-surface g.bar').first()).toBeVisible();
  for (const id of ['chart-accuracy-fps', 'chart-resources', 'chart-cycles']) {
    const box = (await page.getByTestId(id).boundingBox())!;
    console.log(`${id}: y ${Math.round(box.y)} to ${Math.round(box.y + box.height)}`);
    expect(box.y, id).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height, `${id} bottom`).toBeLessThanOrEqual(720);
  }

  // "/blocks/blocks.0/dw/conv/Conv" and "/blocks/blocks.0/pw/conv/Conv" share their first 17
  // characters: the character drawn at the cell's left edge must come from the end of the name.
  const visibleFrom = await page.getByTestId('layer-table').locator('td.name').evaluateAll((cells) =>
    cells.map((cell) => {
      const r = cell.getBoundingClientRect();
      const style = getComputedStyle(cell);
      const range = document.caretRangeFromPoint(r.left + parseFloat(style.paddingLeft) + 14, r.top + r.height / 2);
      return { name: cell.textContent ?? '', offset: range?.startOffset ?? -1 };
    }),
  );
  const blocks = visibleFrom.filter((v) => v.name.startsWith('/blocks/blocks.'));
  console.log(`left edge of long names: ${blocks.map((v) => `${v.name} @${v.offset}`).join(', ')}`);
  expect(blocks.length).toBeGreaterThan(5);
  for (const v of blocks) expect(v.offset, v.name).toBeGreaterThan(6);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save resources chart as PNG' }).click()]);
  const png = PNG.sync.read(readFileSync((await download.path())!));
  const charts = await page.getByTestId('chart-resources').locator('svg.chart-surface').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
  console.log(`resources PNG ${png.width} x ${png.height} px; charts on screen ${charts.join(' + ')} px high`);
  expect(charts).toHaveLength(2);
  expect(png.height).toBe(2 * Math.round(charts[0] + charts[1]));

  // The accuracy-vs-FPS legend (HTML in recharts) is drawn into the exported SVG and PNG.
  const names = await expectLegendInSvgExport(page, 'accuracy-fps');
  console.log(`accuracy-fps legend in the export: ${names.join(', ')}`);
  const chart = page.getByTestId('chart-accuracy-fps');
  const surface = (await chart.locator('.recharts-wrapper > svg.recharts-surface').boundingBox())!;
  const icons = await chart.locator('.recharts-legend-item svg').evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }));
  const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save accuracy-fps chart as PNG' }).click()]);
  const image = PNG.sync.read(readFileSync((await pngDownload.path())!));
  for (const [x, y] of icons) {
    // The PNG is drawn at twice the size; a legend icon's centre is coloured, not the white background.
    const at = 4 * (Math.round(2 * (y - surface.y)) * image.width + Math.round(2 * (x - surface.x)));
    const [r, g, b] = image.data.subarray(at, at + 3);
    expect(r + g + b, `PNG pixel at a legend icon (${Math.round(x - surface.x)}, ${Math.round(y - surface.y)})`).toBeLessThan(3 * 250);
  }
});

test('a 42-layer imported model keeps the page itself from scrolling at 1280x720', async ({ page }) => {
  test.skip(!existsSync(ULTRAFACE), `third-party fixtures not found at ${ULTRAFACE.pathname}`);
  await page.setViewportSize({ width: 1280, height: 720 });
  await openThirdParty(page, ULTRAFACE, 'ultraface.onnx');
  await expect(page.getByTestId('layer-table').locator('tbody tr')).toHaveCount(42);
  const size = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]);
  console.log(`UltraFace page size ${size.join(' x ')}`);
  expect(size).toEqual([1280, 720]);
});

test('auto-fold on an imported model names its bottleneck by table number and stays on its card', async ({ page }) => {
  test.skip(!existsSync(KWS), `third-party fixtures not found at ${KWS.pathname}`);
  await page.setViewportSize({ width: 1280, height: 720 });
  await openThirdParty(page, KWS, 'kws.onnx');
  await page.getByTestId('autofold-button').click();
  const status = page.getByTestId('autofold-status');
  await expect(status).toContainText('FPS');
  const text = await status.innerText();
  console.log(`auto-fold status: ${text}`);
  expect(text).toMatch(/bottleneck #\d+( \(.+\))?$/);
  expect(text).not.toContain('functional_1');
  expect(await status.getAttribute('title')).toContain('functional_1/'); // the full name on hover
  const statusBox = (await status.boundingBox())!;
  const pane = (await page.getByTestId('pane-design').boundingBox())!;
  expect(statusBox.x + statusBox.width).toBeLessThanOrEqual(pane.x + pane.width);

  // Weights only (no calibration data): Verilog cannot be built, and the button says why before a click.
  const verilog = page.getByTestId('export-accelerator');
  await expect(verilog).toBeDisabled();
  await expect(verilog).toHaveAttribute('title', /fixed-point activations.*Data tab/);
});

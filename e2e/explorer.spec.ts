import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { expect, test, type Page } from '@playwright/test';

const schema = JSON.parse(readFileSync(new URL('../public/schema/deployment-config.v1.json', import.meta.url), 'utf8'));
const LAST_PW = '/blocks/blocks.5/pw/conv/Conv';
const MID_PW = '/blocks/blocks.2/pw/conv/Conv';

const text = (page: Page, id: string) => page.getByTestId(id).innerText();
const metricValue = async (page: Page, id: string) => (await page.getByTestId(id).locator('.metric-value').innerText()).trim();

async function openFresh(page: Page) {
  await page.goto('/');
  await expect(page.getByTestId('metric-fps')).toBeVisible();
  // Small evaluation subset so each measured accuracy (and the float baseline, measured again on
  // the same images) takes seconds.
  await page.getByTestId('eval-limit').selectOption('500');
  await expect(page.getByTestId('baseline-top1')).toBeVisible({ timeout: 90_000 });
}

async function waitMeasured(page: Page) {
  await expect(page.getByTestId('metric-accuracy').locator('.metric-value')).toHaveText(/^\d+\.\d\d %$/, { timeout: 90_000 });
}

test.describe('the explorer', () => {
  test('prune by mouse and keyboard, 4-bit layer, auto-fold, design points, export, import, reload', async ({ page, browser }, testInfo) => {
    test.setTimeout(300_000);
    await openFresh(page);

    await expect(page.getByTestId('round-to')).toHaveValue('8'); // the default multiple
    // A small sensitivity sweep on two selected layers: curves and a predicted accuracy appear.
    await page.getByRole('checkbox', { name: `Select ${LAST_PW}` }).check();
    await page.getByRole('checkbox', { name: `Select ${MID_PW}` }).check();
    await page.getByTestId('tab-sweeps').click();
    await page.getByTestId('sweep-limit').selectOption('100');
    await page.getByTestId('sweep-button').click();
    await expect(page.getByTestId('sweep-summary')).toContainText('points on 100 images', { timeout: 180_000 });
    await expect(page.getByTestId('chart-sensitivity-prune')).toBeVisible();
    await expect(page.getByTestId('chart-sensitivity-bits')).toBeVisible();
    await expect(page.getByTestId('metric-predicted').locator('.metric-value')).toHaveText(/^\d+\.\d\d %$/);
    // Curves named by table number, in table order (not as text: #13 after #7), the legend clear of the axis title.
    for (const id of ['chart-sensitivity-prune', 'chart-sensitivity-bits']) {
      const chart = page.getByTestId(id);
      expect(await chart.locator('.recharts-legend-item-text').allInnerTexts()).toEqual(['#7', '#13']);
      const legend = (await chart.locator('.recharts-legend-wrapper').boundingBox())!;
      const axisTitle = (await chart.locator('text.recharts-label', { hasText: id.endsWith('prune') ? 'prune ratio' : 'bits' }).boundingBox())!;
      expect(legend.y + legend.height <= axisTitle.y || axisTitle.y + axisTitle.height <= legend.y, `${id}: legend overlaps the x axis title`).toBe(true);
    }
    await page.getByRole('checkbox', { name: `Select ${LAST_PW}` }).uncheck();
    await page.getByRole('checkbox', { name: `Select ${MID_PW}` }).uncheck();

    // Auto-allocate to 80 % of the MACs with the default channel multiple (8): every kept count is a multiple of 8.
    await page.getByTestId('allocate-mode').selectOption('macs');
    await page.getByTestId('allocate-macs').fill('80');
    await page.getByTestId('allocate-button').click();
    await expect(page.getByTestId('allocate-status')).toContainText('M MACs');
    // The table follows the design one deferred render after the status (issue 15: the control commits first).
    const channelTexts = () => page.getByTestId('layer-table').locator('[data-testid^="channels-"]').allInnerTexts();
    const prunedSomething = async () => (await channelTexts()).some((t) => { const [k, n] = t.split(' / ').map(Number); return k < n; });
    await expect.poll(prunedSomething, { message: 'something was pruned' }).toBe(true);
    const channels = await channelTexts();
    const kept = channels.map((t) => t.split(' / ').map(Number));
    for (const [k, n] of kept) if (k < n) expect(k % 8, `kept ${k} of ${n}`).toBe(0);
    console.log(`allocated with multiple 8: ${channels.join(', ')}`);

    // Back to the unpruned design, any kept count, for the slider steps below.
    await page.getByTestId('tab-settings').click();
    await expect(page.getByTestId('round-to')).toHaveValue('8'); // allocation kept the user's multiple
    await page.getByRole('button', { name: 'Reset all' }).click();
    await page.getByTestId('round-to').selectOption('1');
    const params0 = await metricValue(page, 'metric-params');
    const fps0 = await metricValue(page, 'metric-fps');
    const resources0 = await text(page, 'metric-resources');

    // Drag the last pointwise layer's prune slider to about half with the mouse.
    const slider = page.getByTestId(`prune-${LAST_PW}`);
    await slider.scrollIntoViewIfNeeded();
    const box = (await slider.boundingBox())!;
    await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await expect(page.getByTestId(`channels-${LAST_PW}`)).not.toHaveText('256 / 256');
    const params1 = await metricValue(page, 'metric-params');
    expect(params1).not.toBe(params0);
    const fps1 = await metricValue(page, 'metric-fps');
    expect(Number(fps1)).toBeGreaterThan(Number(fps0)); // the bottleneck layer got cheaper
    expect(await text(page, 'metric-resources')).not.toBe(resources0);

    // The same with the keyboard on another layer.
    const keyboardSlider = page.getByTestId(`prune-${MID_PW}`);
    await keyboardSlider.focus();
    for (let i = 0; i < 30; i++) await page.keyboard.press('ArrowLeft');
    await expect(page.getByTestId(`channels-${MID_PW}`)).toHaveText('66 / 96');
    expect(await metricValue(page, 'metric-params')).not.toBe(params1);
    await waitMeasured(page);
    await page.getByTestId('tab-points').click();
    await page.getByTestId('point-name').fill('pruned 8-bit');
    await page.getByTestId('save-point').click();

    // Switch a layer to 4-bit weights: DSP and memory change.
    const resourcesBefore = await text(page, 'metric-resources');
    await page.getByTestId(`wbits-${LAST_PW}`).selectOption('4');
    await expect(page.getByTestId('metric-resources')).not.toHaveText(resourcesBefore);
    await waitMeasured(page);
    await page.getByTestId('point-name').fill('pruned, 4-bit last layer');
    await page.getByTestId('save-point').click();

    // Auto-fold for max FPS within the budget.
    const fpsBeforeFold = Number(await metricValue(page, 'metric-fps'));
    await page.getByTestId('autofold-button').click();
    await expect(page.getByTestId('chart-pareto')).toBeVisible();
    await expect(page.getByTestId('autofold-status')).toContainText('FPS');
    expect(Number(await metricValue(page, 'metric-fps'))).toBeGreaterThan(fpsBeforeFold * 5);
    await waitMeasured(page);
    await page.getByTestId('point-name').fill('auto-folded');
    await page.getByTestId('save-point').click();

    // Three points on the accuracy-vs-FPS chart, with a Pareto front.
    await expect(page.getByTestId('point-row')).toHaveCount(3);
    // Compare the 4-bit point with its auto-folded twin: only the folding differs, each line a real change.
    const picks = page.getByTestId('point-row').getByRole('checkbox');
    await picks.nth(1).check();
    await picks.nth(2).check();
    await page.getByTestId('compare-button').click();
    const differences = await page.getByTestId('compare-difference').allInnerTexts();
    console.log(`compare: ${differences.length} differences, e.g. ${differences.slice(0, 3).join('; ')}`);
    expect(differences.length).toBeGreaterThan(0);
    for (const line of differences) {
      const [, setting, from, to] = /^#\d+ (.+): (.+) → (.+)$/.exec(line) ?? [];
      expect(setting, line).toMatch(/^(PE|SIMD|multipliers|weight memory)$/);
      expect(from, line).not.toBe(to);
    }
    const chart = page.getByTestId('chart-accuracy-fps');
    await expect(chart.locator('.recharts-scatter').first().locator('.recharts-scatter-symbol')).toHaveCount(3);
    expect(await chart.locator('.recharts-scatter').nth(1).locator('.recharts-scatter-symbol').count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: testInfo.outputPath('explorer.png'), fullPage: true });

    // Export the deployment config: valid against the shipped schema, numbers as shown.
    const shownFps = Number(await metricValue(page, 'metric-fps'));
    const shownParams = await page.getByTestId('metric-params').locator('.metric-detail').innerText();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-config').click()]);
    const exportedPath = testInfo.outputPath('exported.deployment.json');
    await download.saveAs(exportedPath);
    const exported = JSON.parse(readFileSync(exportedPath, 'utf8'));
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate(exported), JSON.stringify(validate.errors)).toBe(true);
    expect(exported.estimates.fps.toFixed(1)).toBe(shownFps.toFixed(1));
    expect(shownParams.startsWith(exported.estimates.params.toLocaleString('en-US'))).toBe(true);
    expect(exported.prunePlan.groups.length).toBe(2);
    expect(exported.prunePlan.groups.find((g: { producers: string[] }) => g.producers.includes(MID_PW)).kept).toHaveLength(66);
    expect(exported.quantization.layers.find((l: { layer: string }) => l.layer === LAST_PW).weightBits).toBe(4);
    expect(exported.accuracy.provenance).toBe('measured');

    // Import it in a fresh page (own storage): the same state.
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const other = await fresh.newPage();
    await other.goto('/');
    await expect(other.getByTestId('metric-fps')).toBeVisible();
    expect(Number(await metricValue(other, 'metric-fps'))).not.toBeCloseTo(shownFps, 0);
    await other.getByTestId('round-to').selectOption('1');
    await other.getByTestId('config-file-input').setInputFiles(exportedPath);
    await expect(other.getByTestId(`channels-${MID_PW}`)).toHaveText('66 / 96');
    expect(Number(await metricValue(other, 'metric-fps')).toFixed(1)).toBe(shownFps.toFixed(1));
    expect(await other.getByTestId('metric-params').locator('.metric-detail').innerText()).toBe(shownParams);
    await expect(other.getByTestId(`wbits-${LAST_PW}`)).toHaveValue('4');
    await other.screenshot({ path: testInfo.outputPath('imported.png'), fullPage: true });

    // A config for another model is refused and changes nothing.
    const wrong = { ...exported, model: { ...exported.model, sha256: 'f'.repeat(64) } };
    await other.getByTestId('config-file-input').setInputFiles({ name: 'wrong.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(wrong)) });
    await expect(other.getByTestId('load-error')).toContainText('not the open model');
    expect(Number(await metricValue(other, 'metric-fps')).toFixed(1)).toBe(shownFps.toFixed(1));
    await fresh.close();

    // Reload: the session comes back.
    await page.reload();
    await expect(page.getByTestId('metric-fps')).toBeVisible();
    await expect(page.getByTestId('point-row')).toHaveCount(3);
    await expect(page.getByTestId(`channels-${MID_PW}`)).toHaveText('66 / 96');
    expect(Number(await metricValue(page, 'metric-fps')).toFixed(1)).toBe(shownFps.toFixed(1));
    await page.screenshot({ path: testInfo.outputPath('restored.png'), fullPage: true });
  });
});

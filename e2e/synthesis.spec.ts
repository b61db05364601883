import { expect, test } from '@playwright/test';
import { microModel } from '../test/rtl-models.ts';

/**
 * Synthesis in the app (issue 17): the smallest useful accelerator (test/rtl-models.ts microModel:
 * conv 3x3 with 2 channels, global pool, FC) on an Anlogic EG4S20, through the real generator and
 * YoWASP's Yosys in the synth worker, under the app's CSP.
 */
test('synthesizes the current design in a worker and shows the numbers as synthesized, stale once the design changes', async ({ page }) => {
  test.setTimeout(300_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const cspViolations: string[] = [];
  page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && cspViolations.push(m.text()));
  await page.goto('/');
  await expect(page.getByTestId('model-name')).toBeVisible();
  await page.getByTestId('model-file-input').setInputFiles({ name: 'micro.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(microModel(28)) });
  await expect(page.getByTestId('model-summary')).toContainText('micro.onnx');

  // The default device (XC7Z020) synthesizes with synth_xilinx; the cheapest flow is Anlogic's.
  await expect(page.getByTestId('synth-expected')).toContainText('Xilinx 7-series');
  await page.getByTestId('tab-settings').click();
  await page.getByTestId('device-select').selectOption('EG4S20');
  const card = page.getByTestId('synthesis');
  await expect(card.getByTestId('synth-expected')).toContainText('Anlogic EG4');
  await expect(card.getByTestId('synth-synthesized-dsp')).toHaveText('—');
  const estimatedDsp = Number((await card.getByTestId('synth-estimated-dsp').innerText()).split(' ')[0]);
  await expect(card.getByTestId('synthesize')).toHaveText('Synthesize (Yosys 0.55, pre-P&R)');

  // Until the design is calibrated the requantiser ROMs are bounded by the accumulators; synthesis calibrates it.
  await expect(card.getByTestId('synth-requant-widths')).toContainText('as wide as the accumulators');
  const started = Date.now();
  await card.getByTestId('synthesize').click();
  await expect(card.getByTestId('synth-progress')).toBeVisible();
  await expect(card.getByTestId('synth-done')).toBeVisible({ timeout: 240_000 });
  const seconds = (Date.now() - started) / 1000;
  console.log(`micro design synthesized in the browser in ${seconds.toFixed(1)} s: ${await card.getByTestId('synth-done').innerText()}`);
  await expect(card.locator('.provenance.synthesized')).toHaveText('synthesized (Yosys 0.55, pre-P&R)');
  await expect(card.getByTestId('synth-requant-widths')).toContainText("this design's quantised bias widths");
  const synthesized = Object.fromEntries(
    await Promise.all(['lut', 'ff', 'dsp', 'bram18'].map(async (r) => [r, Number((await card.getByTestId(`synth-synthesized-${r}`).innerText()).split(' ')[0].replace(/,/g, ''))] as const)),
  );
  // The conv's 2 lanes, the requantiser and the FC put their products on EG_PHY_MULT18 as the estimate says.
  expect(synthesized.dsp).toBe(estimatedDsp);
  expect(synthesized.lut).toBeGreaterThan(50);
  expect(synthesized.ff).toBeGreaterThan(50);
  await expect(card.getByTestId('synth-done')).toContainText('Anlogic EG4');
  await expect(card.getByTestId('synth-done')).not.toContainText('Cells no rule counts');

  // Another device: the synthesized numbers were of the earlier design.
  await page.getByTestId('device-select').selectOption('GW2A-18');
  await expect(card.getByTestId('synth-stale')).toContainText('earlier design');
  await expect(card.getByTestId('synth-synthesized-dsp')).toHaveText('—');
  await expect(card.getByTestId('synth-expected')).toContainText('Gowin GW2A');
  expect(pageErrors).toEqual([]);
  expect(cspViolations).toEqual([]);
});

test('cancel stops a running synthesis at once and keeps nothing', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await expect(page.getByTestId('model-name')).toBeVisible();
  const card = page.getByTestId('synthesis');
  // The default model on XC7Z020: far too long to finish here; the cancel ends it.
  await card.getByTestId('synthesize').click();
  await expect(card.getByTestId('synth-progress')).toContainText('Yosys', { timeout: 120_000 });
  await card.getByTestId('synth-cancel').click();
  await expect(card.getByTestId('synthesize')).toBeVisible({ timeout: 5_000 });
  await expect(card.getByTestId('synth-synthesized-lut')).toHaveText('—');
  await expect(card.getByTestId('synth-error')).toHaveCount(0);
});

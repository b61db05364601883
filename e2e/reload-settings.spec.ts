/**
 * Reload restores everything the user set in the explorer (issue 15 section 4): the job targets
 * (auto-allocate, auto-fold, joint search), the sweep form, the auto-fold result and its chart,
 * selected rows, the design points' sort order and compared pair, the open tab and image count.
 */
import { expect, test, type Page } from '@playwright/test';

const LAST_PW = '/blocks/blocks.5/pw/conv/Conv';
const FIRST_PW = '/blocks/blocks.0/pw/conv/Conv';

const pointNames = (page: Page) => page.getByTestId('point-row').locator('input.point-name').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));

test('a reload shows every target, form and view setting the user left', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Layers (15)' })).toBeVisible({ timeout: 90_000 });
  await page.getByTestId('eval-limit').selectOption('500');

  // Auto-fold to a target FPS: its result, its chart and its form.
  await page.getByTestId('autofold-objective').selectOption('target');
  await page.getByTestId('autofold-fps').fill('500');
  await page.getByTestId('autofold-button').click();
  await expect(page.getByTestId('autofold-status')).toContainText('FPS');
  await expect(page.getByTestId('chart-pareto')).toBeVisible();
  const foldStatus = await page.getByTestId('autofold-status').innerText();

  // Sweep form, auto-allocate target (a drop typed, then the MAC mode chosen), joint-search form.
  await page.getByTestId('tab-sweeps').click();
  await page.getByTestId('sweep-limit').selectOption('200');
  await page.getByRole('checkbox', { name: 'activation bits' }).check();
  await page.getByRole('checkbox', { name: 'stop a curve after a 10 pp drop' }).check();
  await page.getByTestId('allocate-drop').fill('2.5');
  await page.getByTestId('allocate-mode').selectOption('macs');
  await page.getByTestId('allocate-macs').fill('37');
  await page.getByTestId('frontier-kind').selectOption('min-resources');
  await page.getByTestId('frontier-fps').fill('300, 600');
  await page.getByTestId('frontier-bound').fill('2');
  await page.getByTestId('frontier-steps').selectOption('2');

  // Two design points, sorted by FPS, compared; two selected rows.
  await page.getByTestId('tab-points').click();
  await page.getByTestId('point-name').fill('eight bits');
  await page.getByTestId('save-point').click();
  await page.getByTestId(`wbits-${LAST_PW}`).selectOption('4');
  await page.getByTestId('point-name').fill('four bits');
  await page.getByTestId('save-point').click();
  await page.getByTestId('sort-lut').click();
  await page.getByTestId('sort-lut').click(); // ascending: the 4-bit point first, not the order saved
  const order = await pointNames(page);
  expect(order).toEqual(['four bits', 'eight bits']);
  for (const name of ['eight bits', 'four bits']) await page.getByRole('checkbox', { name: `Compare ${name}` }).check();
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('compare-difference')).toHaveCount(1);
  const difference = await page.getByTestId('compare-difference').innerText();
  await page.getByRole('checkbox', { name: `Select ${LAST_PW}` }).check();
  await page.getByRole('checkbox', { name: `Select ${FIRST_PW}` }).check();

  await page.waitForTimeout(800); // the session is saved 300 ms after the last change
  await page.reload();
  await expect(page.getByTestId('point-row')).toHaveCount(2, { timeout: 60_000 });

  // The open tab, its sort order and compared pair.
  await expect(page.getByTestId('tab-points')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('sort-lut').locator('xpath=..')).toHaveAttribute('aria-sort', 'ascending');
  expect(await pointNames(page)).toEqual(order);
  await expect(page.getByTestId('compare-difference')).toHaveText(difference);
  await expect(page.getByRole('checkbox', { name: 'Compare eight bits' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Compare four bits' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: `Select ${LAST_PW}` })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: `Select ${FIRST_PW}` })).toBeChecked();
  await expect(page.getByTestId('eval-limit')).toHaveValue('500');

  // Auto-fold: form, result and chart.
  await expect(page.getByTestId('autofold-objective')).toHaveValue('target');
  await expect(page.getByTestId('autofold-fps')).toHaveValue('500');
  await expect(page.getByTestId('autofold-status')).toHaveText(foldStatus);
  await expect(page.getByTestId('chart-pareto')).toBeVisible();

  // Sweep form, auto-allocate target and joint search.
  await page.getByTestId('tab-sweeps').click();
  await expect(page.getByTestId('sweep-limit')).toHaveValue('200');
  await expect(page.getByRole('checkbox', { name: 'activation bits' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'stop a curve after a 10 pp drop' })).toBeChecked();
  await expect(page.getByTestId('allocate-mode')).toHaveValue('macs');
  await expect(page.getByTestId('allocate-macs')).toHaveValue('37');
  await page.getByTestId('allocate-mode').selectOption('drop');
  await expect(page.getByTestId('allocate-drop')).toHaveValue('2.5');
  await expect(page.getByTestId('frontier-kind')).toHaveValue('min-resources');
  await expect(page.getByTestId('frontier-fps')).toHaveValue('300, 600');
  await expect(page.getByTestId('frontier-bound')).toHaveValue('2');
  await expect(page.getByTestId('frontier-steps')).toHaveValue('2');
});

import { expect, test } from '@playwright/test';

const MID_PW = '/blocks/blocks.2/pw/conv/Conv';
const percent = async (text: string) => Number(/([\d.]+) %/.exec(text)![1]);

test('reconstruction of a pruned design runs in the re-fit worker and is measured', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await expect(page.getByTestId('baseline-top1')).toBeVisible({ timeout: 90_000 });
  await page.getByTestId('eval-limit').selectOption('500');
  await page.getByTestId('round-to').selectOption('1'); // any kept count, so 30 steps keep 66
  // prune the middle group hard (96 -> 66 channels kept): the next pointwise conv loses inputs
  const slider = page.getByTestId(`prune-${MID_PW}`);
  await slider.focus();
  for (let i = 0; i < 30; i++) await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId(`channels-${MID_PW}`)).toHaveText('66 / 96');
  // reconstruction only: the design recipe's switch, the one the panel runs with
  await page.getByTestId('tab-recovery').click();
  await page.getByTestId('design-reconstruct').check();
  await expect(page.getByTestId('recovery-reconstruct-state')).toContainText('reconstruction on');
  await page.getByTestId('recovery').getByRole('checkbox', { name: 'bias correction' }).uncheck();
  await page.getByTestId('recovery').getByRole('checkbox', { name: 'head re-fit' }).uncheck();
  await page.getByTestId('recovery-run').click();
  const row = page.getByTestId('recovery-row-reconstruct');
  await expect(row).toContainText('500 images', { timeout: 240_000 });
  await expect(row).toContainText(/1 layers re-solved/);
  const compressed = await percent(await page.getByTestId('recovery-row-compressed').innerText());
  const reconstructed = await percent(await row.innerText());
  console.log(`pruned design: ${compressed} % -> reconstructed ${reconstructed} % (500 test images)`);
  expect(reconstructed).toBeGreaterThan(compressed - 1);
  await expect(page.getByTestId('recovery-download')).toBeVisible();
});

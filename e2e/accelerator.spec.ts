import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';

test.describe('accelerator export', () => {
  test('exports the current design as a Verilog zip built in a worker', async ({ page }) => {
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto('/');
    await expect(page.getByTestId('model-name')).toBeVisible();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.getByTestId('export-accelerator').click()]);
    expect(download.suggestedFilename()).toBe('dscnn-fmnist.accelerator.zip');
    const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
    const names = Object.keys(files).map((n) => n.replace(/^edgefold-accelerator\//, ''));
    for (const name of ['edgefold_accelerator.v', 'tb.v', 'README.md', 'files.f', 'input.hex', 'expected_logits.txt']) expect(names).toContain(name);
    const engines = names.filter((n) => !/^(fifo|dwc)_/.test(n));
    expect(engines.filter((n) => n.endsWith('_mvau.v')).length).toBe(8);
    expect(engines.filter((n) => n.endsWith('_vvau.v')).length).toBe(6);
    const text = (name: string) => strFromU8(files[`edgefold-accelerator/${name}`]);
    // 8 test images of 28 x 28 input elements, 10 logits each.
    expect(text('input.hex').trim().split('\n')).toHaveLength(8 * 784);
    expect(text('expected_logits.txt').trim().split('\n')).toHaveLength(80);
    expect(text('edgefold_accelerator.v')).toMatch(/^module edgefold_accelerator \(/m);
    expect(pageErrors).toEqual([]);
  });
});

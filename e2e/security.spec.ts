import { expect, test } from '@playwright/test';

test.describe('security headers', () => {
  test('the page is served with a CSP (header and meta), nosniff and no-referrer, and works without violations', async ({ page }) => {
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`Refused to load: CSP violation ${e.violatedDirective} ${e.blockedURI}`));
    });
    const response = await page.goto('/');
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(headers['content-security-policy']).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
    expect(headers['content-security-policy']).not.toMatch(/https?:/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
    await expect(page.locator('meta[http-equiv="Content-Security-Policy"]')).toHaveAttribute('content', /default-src 'self'/);

    // Loading the model, analysing it and a measured evaluation in onnxruntime all run under the policy.
    await expect(page.getByTestId('model-name')).toBeVisible();
    await expect(page.getByTestId('baseline-top1')).toBeVisible({ timeout: 90_000 });
    expect(violations).toEqual([]);
  });
});

test.describe('opening models off the main thread', () => {
  test('a 100-byte file claiming 10^15 floats is refused by the worker; the open model stays', async ({ page }) => {
    const { hostileFloatDataModel } = await import('../test/hostile.ts');
    await page.goto('/');
    await expect(page.getByTestId('model-name')).toBeVisible();
    const nameBefore = await page.getByTestId('model-name').innerText();
    const bytes = hostileFloatDataModel();
    expect(bytes.length).toBeLessThan(300);
    await page.getByTestId('model-file-input').setInputFiles({ name: 'bomb.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
    await expect(page.getByTestId('load-error')).toContainText('bomb.onnx: tensor "w" (initializer) has dims [100000, 100000, 100000]');
    await expect(page.getByTestId('model-name')).toHaveText(nameBefore);
  });

  test('a very deep model opens in a worker that can be cancelled while the page stays responsive', async ({ page }) => {
    const { convReluChain } = await import('../test/chain.ts');
    await page.goto('/');
    await expect(page.getByTestId('model-name')).toBeVisible();
    const nameBefore = await page.getByTestId('model-name').innerText();
    await page.getByTestId('model-file-input').setInputFiles({ name: 'deep.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(convReluChain(100_000)) });
    await expect(page.getByTestId('model-opening')).toContainText('Opening deep.onnx');
    // The page keeps drawing frames while the worker parses.
    expect(await page.evaluate(() => new Promise<number>((r) => requestAnimationFrame((t) => r(t))))).toBeGreaterThan(0);
    await page.getByTestId('model-opening-cancel').click();
    await expect(page.getByTestId('load-error')).toContainText('Opening deep.onnx was cancelled; the open model stays.');
    await expect(page.getByTestId('model-opening')).toHaveCount(0);
    await expect(page.getByTestId('model-name')).toHaveText(nameBefore);
  });
});

/** Reads a chart card's SVG export: the texts drawn in it and the legend names shown on the page. */
import { readFileSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** Saves the card's SVG; checks that every legend entry on screen is a text of the export's legend, in the same order. */
export async function expectLegendInSvgExport(page: Page, id: string): Promise<string[]> {
  const onScreen = (await page.getByTestId(`chart-${id}`).locator('.recharts-legend-item-text').allInnerTexts()).map((t) => t.trim());
  expect(onScreen.length, `legend entries of ${id} on screen`).toBeGreaterThan(0);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Save ${id} chart as SVG` }).click()]);
  const svg = readFileSync((await download.path())!, 'utf8');
  const legend = /<g class="export-legend">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
  const texts = [...legend.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => unescape(m[1]).trim());
  expect(texts, `legend texts in the ${id} SVG`).toEqual(onScreen);
  // Each entry has its icon (a nested svg) before its name.
  expect((legend.match(/<svg/g) ?? []).length).toBe(onScreen.length);
  return onScreen;
}

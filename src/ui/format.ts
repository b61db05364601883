import type { Shape } from '../core/graph/layer.ts';

/** One formatter for every count: toLocaleString builds a new one per call (a table row has several). */
const COUNT = new Intl.NumberFormat('en-US');
export const formatCount = (n: number): string => COUNT.format(n);
export const formatShape = (s: Shape): string => (s.length ? `${s.map((d) => d ?? 'N').join('×')}` : '?');
export const formatPercent = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)} %`;

/** 1234567 -> "1.23 M". */
export function formatCompact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/**
 * A core message with the layer table's numbers in place of layer names: imported models name a
 * layer with 200 characters ("functional_1/activation_2/Relu;functional_1/batch_normalization_2/…"),
 * which pushed the status off its card. The full text stays available as a tooltip.
 */
export function numberLayerNames(text: string, layerNames: readonly string[]): string {
  const longestFirst = layerNames.map((name, i) => [name, i + 1] as const).filter(([name]) => name.length > 0).sort((a, b) => b[0].length - a[0].length);
  let out = text;
  for (const [name, n] of longestFirst) if (out.includes(name)) out = out.split(name).join(`#${n}`);
  return out;
}

/**
 * Folding constraints: PE and SIMD must divide the dimension they fold (FINN asserts the same:
 * matrixvectoractivation.py calc_wmem, vectorvectoractivation.py get_folded_input_shape, ...).
 */
import { badInput } from '../errors.ts';
import { DEFAULT_LAYER_CONFIG, type HwFolding, type HwLayerConfig } from './config.ts';
import type { HwLayer } from './types.ts';

const divisorCache = new Map<number, number[]>();

/** Divisors of n in increasing order. */
export function divisors(n: number): number[] {
  const hit = divisorCache.get(n);
  if (hit) return hit;
  const small: number[] = [];
  const large: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d === 0) {
      small.push(d);
      if (d * d !== n) large.push(n / d);
    }
  }
  const out = [...small, ...large.reverse()];
  divisorCache.set(n, out);
  return out;
}

export interface AllowedFoldings {
  pe: number[];
  simd: number[];
  peLabel: string;
  simdLabel: string;
}

/** The PE and SIMD values a layer accepts (the UI offers only these). */
export function allowedFoldings(layer: HwLayer): AllowedFoldings {
  if (!layer.mappable) return { pe: [1], simd: [1], peLabel: '-', simdLabel: '-' };
  return { pe: divisors(layer.fold.pe), simd: divisors(layer.fold.simd), peLabel: layer.fold.peLabel, simdLabel: layer.fold.simdLabel };
}

function list(values: number[]): string {
  return values.length > 24 ? `${values.slice(0, 24).join(', ')}, ... (${values.length} values)` : values.join(', ');
}

/** The layer's config with defaults filled in; throws a bad-input error naming the layer and the allowed values. */
export function resolveLayerConfig(layer: HwLayer, partial: Partial<HwLayerConfig> | undefined): HwLayerConfig {
  const cfg = { ...DEFAULT_LAYER_CONFIG, ...(partial ?? {}) };
  if (!layer.mappable) return cfg;
  const allowed = allowedFoldings(layer);
  if (!allowed.pe.includes(cfg.pe)) {
    throw badInput(
      `Layer "${layer.name}": PE=${cfg.pe} must divide ${layer.fold.pe} (${layer.fold.peLabel}). Allowed PE: ${list(allowed.pe)}.`,
      `hardware.layers.${layer.name}.pe`,
    );
  }
  if (!allowed.simd.includes(cfg.simd)) {
    throw badInput(
      layer.fold.simd === 1
        ? `Layer "${layer.name}": this ${layer.layerKind} layer has no SIMD parallelism; SIMD must be 1.`
        : `Layer "${layer.name}": SIMD=${cfg.simd} must divide ${layer.fold.simd} (${layer.fold.simdLabel}). Allowed SIMD: ${list(allowed.simd)}.`,
      `hardware.layers.${layer.name}.simd`,
    );
  }
  return cfg;
}

/** Validates a whole folding against the layers; unknown layer names are an error too. */
export function validateFolding(layers: HwLayer[], folding: HwFolding): HwLayerConfig[] {
  const names = new Set(layers.map((l) => l.name));
  for (const name of Object.keys(folding)) {
    if (!names.has(name)) throw badInput(`Folding names layer "${name}", which the model does not have.`, `hardware.layers.${name}`);
  }
  return layers.map((l) => resolveLayerConfig(l, folding[l.name]));
}

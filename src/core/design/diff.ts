import { DEFAULT_LAYER_CONFIG, type HwLayerConfig } from '../hw/config.ts';
import { recoveryOf, type Design } from './design.ts';

export interface DesignDifference {
  /** A layer name, or "(all layers)" for model-wide settings, or "hardware". */
  layer: string;
  field: string;
  a: unknown;
  b: unknown;
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}\u0000${k}` : k, out);
  } else out.set(prefix, value);
}

/**
 * What a per-layer setting the design leaves unset resolves to: the folding defaults for hardware,
 * the model-wide bits for compression. So "PE unset" and "PE 1" are the same design, not a difference.
 */
function effectiveLayerValue(design: Design, section: string, field: string, value: unknown): unknown {
  if (value !== undefined) return value;
  if (section === 'hardware' && field in DEFAULT_LAYER_CONFIG) return DEFAULT_LAYER_CONFIG[field as keyof HwLayerConfig];
  const quant = design.compression.quant;
  if (section === 'compression' && quant && field === 'weightBits') return quant.weightBits ?? 8;
  if (section === 'compression' && quant && field === 'activationBits') return quant.activationBits ?? null;
  return value;
}

/** Every setting that differs between two designs, per layer where the setting is per layer. */
export function diffDesigns(a: Design, b: Design): DesignDifference[] {
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  // Designs saved before recovery existed carry none: they mean the default recipe.
  flatten({ ...a, recovery: recoveryOf(a) }, '', fa);
  flatten({ ...b, recovery: recoveryOf(b) }, '', fb);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  const out: DesignDifference[] = [];
  for (const key of keys) {
    const parts = key.split('\u0000');
    // compression.layers.<name>.<field...> and hardware.layers.<name>.<field>
    const perLayer = parts[1] === 'layers' && parts.length >= 4;
    const field = perLayer ? parts.slice(3).join('.') : parts.slice(1).join('.');
    const x = perLayer ? effectiveLayerValue(a, parts[0], field, fa.get(key)) : fa.get(key);
    const y = perLayer ? effectiveLayerValue(b, parts[0], field, fb.get(key)) : fb.get(key);
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (perLayer) out.push({ layer: parts[2], field, a: x, b: y });
    else out.push({ layer: parts[0] === 'hardware' ? 'hardware' : '(all layers)', field, a: x, b: y });
  }
  return out;
}

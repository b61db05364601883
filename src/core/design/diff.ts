import type { Design } from './design.ts';

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

/** Every setting that differs between two designs, per layer where the setting is per layer. */
export function diffDesigns(a: Design, b: Design): DesignDifference[] {
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  flatten(a, '', fa);
  flatten(b, '', fb);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  const out: DesignDifference[] = [];
  for (const key of keys) {
    const x = fa.get(key);
    const y = fb.get(key);
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    const parts = key.split('\u0000');
    // compression.layers.<name>.<field...> and hardware.layers.<name>.<field>
    if (parts[1] === 'layers' && parts.length >= 4) out.push({ layer: parts[2], field: parts.slice(3).join('.'), a: x, b: y });
    else out.push({ layer: parts[0] === 'hardware' ? 'hardware' : '(all layers)', field: parts.slice(1).join('.'), a: x, b: y });
  }
  return out;
}

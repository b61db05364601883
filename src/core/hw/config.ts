/**
 * The hardware part of the versioned deployment config: per-layer folding and implementation
 * styles. The deployment config (src/core/config, owned elsewhere) embeds `HwConfig`.
 */
import { badInput } from '../errors.ts';
import { checkNumber, clip, LIMITS } from '../limits.ts';
import type { MemStyle, MulStyle } from './types.ts';

/** One layer's hardware settings. PE/SIMD fold the layer's main engine (see allowedFoldings). */
export interface HwLayerConfig {
  pe: number;
  simd: number;
  mulStyle: MulStyle;
  memStyle: MemStyle;
}

/** Per-layer settings keyed by layer name (the layer view's `name`). Missing layers use defaults. */
export type HwFolding = Record<string, Partial<HwLayerConfig>>;

export interface HwConfig {
  layers: HwFolding;
}

/** Fully folded (PE = SIMD = 1), styles chosen automatically. */
export const DEFAULT_LAYER_CONFIG: HwLayerConfig = { pe: 1, simd: 1, mulStyle: 'auto', memStyle: 'auto' };

const MUL: MulStyle[] = ['auto', 'lut', 'dsp'];
const MEM: MemStyle[] = ['auto', 'bram', 'lutram', 'uram'];

/** Checks the shape of a folding object (values are checked against layers by validateFolding). */
export function parseHwFolding(input: unknown, field = 'hardware.layers'): HwFolding {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw badInput(`${field} must be an object mapping layer names to {pe, simd, mulStyle, memStyle}.`, field);
  }
  const out: HwFolding = {};
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    const f = `${field}.${clip(name, 80)}`;
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') throw badInput(`${field} has a layer named "${name}", which edgefold refuses (no ONNX layer is named so).`, field);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badInput(`${f} must be an object.`, f);
    const v = value as Record<string, unknown>;
    const entry: Partial<HwLayerConfig> = {};
    for (const key of ['pe', 'simd'] as const) {
      if (v[key] === undefined) continue;
      entry[key] = checkNumber(v[key], `${f}.${key}`, LIMITS.range.foldFactor, { integer: true });
    }
    if (v.mulStyle !== undefined) {
      if (!MUL.includes(v.mulStyle as MulStyle)) throw badInput(`${f}.mulStyle must be one of ${MUL.join(', ')}.`, `${f}.mulStyle`);
      entry.mulStyle = v.mulStyle as MulStyle;
    }
    if (v.memStyle !== undefined) {
      if (!MEM.includes(v.memStyle as MemStyle)) throw badInput(`${f}.memStyle must be one of ${MEM.join(', ')}.`, `${f}.memStyle`);
      entry.memStyle = v.memStyle as MemStyle;
    }
    out[name] = entry;
  }
  return out;
}

/** Pure edits of a Design (immutable updates), kept apart from the store so they are easy to test. */
import type { LayerSection } from '../../core/config/compression.ts';
import type { Design } from '../../core/design/design.ts';
import type { HwLayerConfig } from '../../core/hw/config.ts';
import type { SchemeSettings } from './types.ts';

function withLayer(design: Design, name: string, edit: (entry: LayerSection) => LayerSection): Design {
  const layers = { ...(design.compression.layers ?? {}) };
  const entry = edit({ ...(layers[name] ?? {}) });
  if (Object.keys(entry).length === 0) delete layers[name];
  else layers[name] = entry;
  return { ...design, compression: { ...design.compression, layers } };
}

/** Keep `keep` output channels of each layer's group; null removes the layer's own setting. */
export function setPruneKeep(design: Design, names: string[], keep: number | null): Design {
  return names.reduce(
    (d, name) =>
      withLayer(d, name, (entry) => {
        if (keep === null) delete entry.prune;
        else entry.prune = { keep };
        return entry;
      }),
    design,
  );
}

export function setPruneRatio(design: Design, names: string[], ratio: number): Design {
  return names.reduce(
    (d, name) =>
      withLayer(d, name, (entry) => {
        entry.prune = { ratio };
        return entry;
      }),
    design,
  );
}

export function setBits(design: Design, names: string[], bits: { weightBits?: number; activationBits?: number | null }): Design {
  return names.reduce(
    (d, name) =>
      withLayer(d, name, (entry) => {
        if (bits.weightBits !== undefined) entry.weightBits = bits.weightBits;
        if (bits.activationBits !== undefined) entry.activationBits = bits.activationBits;
        return entry;
      }),
    design,
  );
}

export function setScheme(design: Design, scheme: Partial<SchemeSettings>): Design {
  return { ...design, compression: { ...design.compression, quant: { ...design.compression.quant, ...scheme } } };
}

export function setRoundTo(design: Design, roundTo: number): Design {
  return { ...design, compression: { ...design.compression, prune: { ...design.compression.prune, roundTo } } };
}

export function setFolding(design: Design, name: string, config: Partial<HwLayerConfig>): Design {
  const layers = { ...design.hardware.layers, [name]: { ...design.hardware.layers[name], ...config } };
  return { ...design, hardware: { ...design.hardware, layers } };
}

/** Model-wide activation width (null: float activations); per-layer widths the user set stay. */
export function setActivationBits(design: Design, bits: number | null): Design {
  return { ...design, compression: { ...design.compression, quant: { ...design.compression.quant, activationBits: bits } } };
}

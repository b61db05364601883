/**
 * The synthesis grid: configurations of single engines per kind, in a fixed order, and the
 * deterministic fit / held-out split (every other configuration of a kind is held out).
 * Sizes are kept small enough that one Yosys run takes seconds to a minute on this machine.
 */
export type GridKind = 'mvau' | 'vvau' | 'requant';

export interface GridConfig {
  id: string;
  kind: GridKind;
  pe: number;
  simd: number;
  /** Weight and activation bits (the same). */
  bits: number;
  /** Input channels (MVAU: MW = channels * kernel^2), channels (VVAU, requant). */
  channels: number;
  /** MVAU output channels (MH). */
  outChannels: number;
  kernel: number;
  /** Requantiser: accumulator width in. */
  accBits?: number;
}

/** Every tuple of the lists, in order. */
function product<T extends unknown[]>(...lists: { [K in keyof T]: T[K][] }): T[] {
  return lists.reduce<unknown[][]>((acc, list) => acc.flatMap((a) => list.map((x) => [...a, x])), [[]]) as T[];
}

/** A spread subset of n items (every k-th), deterministic. */
function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]);
}

export function gridConfigs(kind: GridKind): GridConfig[] {
  if (kind === 'mvau') {
    // (bits, channels, kernel, outChannels, pe, simd)
    const all = product<[number, number, number, number, number, number]>([2, 4, 8], [8, 16, 32], [1, 3], [8, 16], [1, 2, 4], [1, 4, 8])
      .filter(([, c, k, , , simd]) => (c * k * k) % simd === 0)
      .filter(([b, c, k, oc, pe, simd]) => pe * simd <= 16 && (c * k * k * oc) / (pe * simd) <= 1024 && b * pe * simd <= 96);
    return spread(all, 48).map(([bits, channels, kernel, outChannels, pe, simd]) => ({ id: `mvau-b${bits}-c${channels}-k${kernel}-o${outChannels}-pe${pe}-simd${simd}`, kind, pe, simd, bits, channels, outChannels, kernel }));
  }
  if (kind === 'vvau') {
    const all = product<[number, number, number, number]>([2, 4, 8], [8, 16, 32, 64], [3, 5], [1, 2, 4, 8]).filter(([, c, , pe]) => c % pe === 0);
    return spread(all, 48).map(([bits, channels, kernel, pe]) => ({ id: `vvau-b${bits}-c${channels}-k${kernel}-pe${pe}`, kind, pe, simd: 1, bits, channels, outChannels: channels, kernel }));
  }
  const all = product<[number, number, number, number]>([4, 8], [8, 16, 32, 64], [16, 20, 24], [1, 2, 4]).filter(([, c, , pe]) => c % pe === 0);
  return spread(all, 48).map(([bits, channels, accBits, pe]) => ({ id: `requant-b${bits}-c${channels}-acc${accBits}-pe${pe}`, kind, pe, simd: 1, bits, channels, outChannels: channels, kernel: 1, accBits }));
}

/** Held-out half: a hash of the id, so the split does not follow the grid's order. */
export function isHeldOut(c: Pick<GridConfig, 'id'>): boolean {
  let h = 2166136261;
  for (let i = 0; i < c.id.length; i++) h = Math.imul(h ^ c.id.charCodeAt(i), 16777619) >>> 0;
  return (h & 1) === 1;
}

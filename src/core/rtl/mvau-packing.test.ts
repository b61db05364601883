/**
 * Packed DSP products (several PE lanes sharing an activation on one multiply, mvau.ts
 * packedDotProducts) and products in LUTs (shift-and-add, mvau.ts lutProductFunction) are
 * bit-exact: one MVAU is simulated with Icarus on extreme and random operands, packed, unpacked
 * and in LUTs, and its accumulators compared with plain integer dot products.
 */
import { describe, expect, it } from 'vitest';
import { seeded } from '../prune/testing.ts';
import { emitMvau } from './mvau.ts';
import { simulateStreamModule, signedLane } from './testing.ts';
import { packWord } from './verilog.ts';
import { hasIcarus } from '../../../test/system-tools.ts';


interface Case {
  wb: number;
  ab: number;
  actSigned: boolean;
  pe: number;
  simd: number;
  lanes: number;
  /** Products in LUTs (shift-and-add) instead of `*`. */
  lut?: boolean;
}

/**
 * Weights and activations with the corners every lane group meets: columns 0-2 of every neuron are
 * the most negative weight, the most positive, and the two alternating by neuron; vectors 0 and 1
 * are all the largest and all the smallest activation; the rest is random.
 */
function operands(c: Case, mw: number, mh: number, vectors: number, seed: number) {
  const rand = seeded(seed);
  const wMin = -(2 ** (c.wb - 1));
  const wMax = 2 ** (c.wb - 1) - 1;
  const aMin = c.actSigned ? -(2 ** (c.ab - 1)) : 0;
  const aMax = c.actSigned ? 2 ** (c.ab - 1) - 1 : 2 ** c.ab - 1;
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const weights = Array.from({ length: mw * mh }, (_, i) => {
    const [o, k] = [Math.floor(i / mw), i % mw];
    return k === 0 ? wMin : k === 1 ? wMax : k === 2 ? (o % 2 ? wMax : wMin) : between(wMin, wMax);
  });
  const acts = Array.from({ length: vectors * mw }, (_, i) => (i < mw ? aMax : i < 2 * mw ? aMin : between(aMin, aMax)));
  return { weights, acts };
}

function simulateMvau(c: Case, mw: number, mh: number, vectors: number, weights: number[], acts: number[]): bigint[] {
  const acc = 32;
  const m = emitMvau({ name: 'dut', mw, mh, pe: c.pe, simd: c.simd, weightBits: c.wb, actBits: c.ab, actSigned: c.actSigned, accBits: acc, weights, dspLanes: c.lanes, lutProducts: c.lut });
  if (c.lanes > 1) expect(m.verilog).toContain('wpack');
  else expect(m.verilog).not.toContain('wpack');
  // In LUTs: no multiply left in the module (Yosys synth_xilinx would map it to a DSP48E1).
  if (c.lut) {
    expect(m.verilog).toContain('lut_mul(s1_w');
    expect(m.verilog).not.toMatch(/\) \* \$signed|wpack \*/);
  } else expect(m.verilog).toMatch(/\) \* \$signed|wpack \*/);
  const words: string[] = [];
  for (let v = 0; v < vectors; v++) for (let s = 0; s < mw / c.simd; s++) words.push(packWord(acts.slice(v * mw + s * c.simd, v * mw + (s + 1) * c.simd), c.ab));
  const out = simulateStreamModule(m, words, vectors * (mh / c.pe), { maxCycles: 2 * (words.length * (mh / c.pe) + 100) });
  return out.flatMap((word) => Array.from({ length: c.pe }, (_, p) => signedLane(word, p, acc)));
}

/** Output order: vector, neuron fold, PE lane = vector-major rows of W x. */
function reference(mw: number, mh: number, vectors: number, weights: number[], acts: number[]): bigint[] {
  const out: bigint[] = [];
  for (let v = 0; v < vectors; v++)
    for (let o = 0; o < mh; o++) {
      let s = 0;
      for (let k = 0; k < mw; k++) s += weights[o * mw + k] * acts[v * mw + k];
      out.push(BigInt(s));
    }
  return out;
}

describe.skipIf(!hasIcarus)('MVAU packed DSP products and products in LUTs (Icarus)', () => {
  const cases: Case[] = [
    { wb: 8, ab: 8, actSigned: false, pe: 4, simd: 2, lanes: 2 },
    { wb: 8, ab: 8, actSigned: true, pe: 2, simd: 3, lanes: 2 },
    { wb: 4, ab: 4, actSigned: false, pe: 4, simd: 2, lanes: 3 },
    { wb: 4, ab: 4, actSigned: true, pe: 3, simd: 1, lanes: 3 },
    { wb: 5, ab: 5, actSigned: false, pe: 6, simd: 2, lanes: 2 },
    { wb: 3, ab: 3, actSigned: true, pe: 5, simd: 2, lanes: 4 },
    { wb: 8, ab: 8, actSigned: false, pe: 4, simd: 2, lanes: 1 },
    { wb: 8, ab: 8, actSigned: false, pe: 4, simd: 2, lanes: 1, lut: true },
    { wb: 8, ab: 8, actSigned: true, pe: 2, simd: 3, lanes: 1, lut: true },
    { wb: 2, ab: 2, actSigned: true, pe: 3, simd: 2, lanes: 1, lut: true },
    { wb: 6, ab: 3, actSigned: true, pe: 1, simd: 6, lanes: 1, lut: true },
    { wb: 3, ab: 7, actSigned: false, pe: 2, simd: 1, lanes: 1, lut: true },
  ];
  for (const c of cases) {
    it(`W${c.wb}A${c.ab}${c.actSigned ? 's' : 'u'} PE ${c.pe} SIMD ${c.simd}, ${c.lut ? 'products in LUTs' : `${c.lanes} lane(s) per multiply`}: equals the integer dot products`, () => {
      const mw = 6;
      const mh = c.pe * 2;
      const vectors = 5;
      const { weights, acts } = operands(c, mw, mh, vectors, c.wb * 31 + c.pe);
      expect(simulateMvau(c, mw, mh, vectors, weights, acts)).toEqual(reference(mw, mh, vectors, weights, acts));
    });
  }
  // The fold counters' registered wrap flags at their edge: one input fold, one output fold, or both.
  it.each([
    [2, 4],
    [6, 4],
    [2, 8],
  ])('W8A8u PE 4 SIMD 2, MW %i MH %i (a single fold): equals the integer dot products', (mw, mh) => {
    const c: Case = { wb: 8, ab: 8, actSigned: false, pe: 4, simd: 2, lanes: 1 };
    const { weights, acts } = operands(c, mw, mh, 4, mw * 7 + mh);
    expect(simulateMvau(c, mw, mh, 4, weights, acts)).toEqual(reference(mw, mh, 4, weights, acts));
  });
});

/**
 * The generated multiply-shift requantiser in Icarus Verilog: every channel's output equals
 * integer.ts `requantize` (the reference the whole designs are checked against), at one channel
 * fold and many, under a sink that stalls (the channel-fold counter's registered wrap flag holds).
 */
import { describe, expect, it } from 'vitest';
import { hasIcarus } from '../../../test/system-tools.ts';
import { seeded } from '../prune/testing.ts';
import { requantize, type Requant } from './integer.ts';
import { emitRequant } from './requant.ts';
import { simulateStreamModule } from './testing.ts';
import { packWord } from './verilog.ts';

const IB = 16;

describe.skipIf(!hasIcarus)('generated requantiser (Icarus)', () => {
  it.each([
    [4, 4],
    [6, 2],
    [5, 1],
  ])('C %i PE %i: equals requantize on every channel', (channels, pe) => {
    const rand = seeded(channels * 13 + pe);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const requant: Requant = {
      bias: Array.from({ length: channels }, () => int(-300, 300)),
      multiplier: Array.from({ length: channels }, () => int(1, 4000)),
      shift: 14,
      rounding: 'half-even',
      out: { bits: 8, signed: false, scale: 1, scaleType: 'float', rounding: 'half-even', qmin: 0, qmax: 255 },
    };
    const vectors = 4;
    const acc = Array.from({ length: vectors * channels }, () => int(-2000, 2000));
    const m = emitRequant({ name: 'dut', channels, pe, inBits: IB, requant });
    const CF = channels / pe;
    const words: string[] = [];
    for (let v = 0; v < vectors; v++) for (let cf = 0; cf < CF; cf++) words.push(packWord(acc.slice(v * channels + cf * pe, v * channels + (cf + 1) * pe), IB));
    const expected = acc.map((x, i) => requantize(x, i % channels, requant));

    const out = simulateStreamModule(m, words, words.length, { stallEvery: 3 });
    const got = out.flatMap((word) => Array.from({ length: pe }, (_, lane) => Number((word >> BigInt(lane * 8)) & 0xffn)));
    expect(got).toEqual(expected);
  });
});

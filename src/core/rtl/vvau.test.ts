/**
 * The generated VVAU (depthwise) in Icarus Verilog: per output pixel and channel fold it takes the
 * window's k*k words of PE channels and gives PE dot products equal to the integer reference, at
 * one channel fold or many and a 1x1 or 3x3 kernel (the edges of its registered wrap flags).
 */
import { describe, expect, it } from 'vitest';
import { hasIcarus } from '../../../test/system-tools.ts';
import { seeded } from '../prune/testing.ts';
import { simulateStreamModule, signedLane } from './testing.ts';
import { packWord } from './verilog.ts';
import { emitVvau } from './vvau.ts';

const WB = 4;
const AB = 4;
const ACC = 16;

describe.skipIf(!hasIcarus)('generated VVAU (Icarus)', () => {
  it.each([
    [4, 1, 1],
    [4, 3, 4],
    [6, 3, 2],
    [4, 1, 2],
  ])('C %i, kernel %i (square), PE %i: equals the integer depthwise dot products', (channels, k, pe) => {
    const K2 = k * k;
    const pixels = 3;
    const rand = seeded(channels * 31 + K2 * 7 + pe);
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    // Weights [channel][ky][kx]; activations per pixel [channel][k], unsigned.
    const weights = Array.from({ length: channels * K2 }, () => int(-(2 ** (WB - 1)), 2 ** (WB - 1) - 1));
    const acts = Array.from({ length: pixels * channels * K2 }, () => int(0, 2 ** AB - 1));
    const m = emitVvau({ name: 'dut', channels, kernel: [k, k], pe, simd: 1, weightBits: WB, actBits: AB, actSigned: false, accBits: ACC, weights });

    const CF = channels / pe;
    const words: string[] = [];
    for (let px = 0; px < pixels; px++)
      for (let cf = 0; cf < CF; cf++)
        for (let kk = 0; kk < K2; kk++) words.push(packWord(Array.from({ length: pe }, (_, lane) => acts[(px * channels + cf * pe + lane) * K2 + kk]), AB));
    const expected: number[] = [];
    for (let px = 0; px < pixels; px++)
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let kk = 0; kk < K2; kk++) s += weights[c * K2 + kk] * acts[(px * channels + c) * K2 + kk];
        expected.push(s);
      }

    // A sink that stalls every third cycle, so the counters also hold under back-pressure.
    const out = simulateStreamModule(m, words, pixels * CF, { stallEvery: 3 });
    const got = out.flatMap((word) => Array.from({ length: pe }, (_, lane) => Number(signedLane(word, lane, ACC))));
    expect(got).toEqual(expected);
  });
});

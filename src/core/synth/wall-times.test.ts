import { describe, expect, it } from 'vitest';
import { expectedSeconds, formatDuration, type WallTime, type WallTimes } from './wall-times.ts';

const run = (design: string, estimatedLut: number, seconds: number, engine: WallTime['engine'] = 'chromium'): WallTime => ({ design, family: 'anlogic', engine, seconds, estimatedLut, load: [2, 3], date: '2026-12-03' });

describe('expected synthesis time from the bench', () => {
  const times: WallTimes = { note: '', runs: [run('micro', 1000, 20), run('default', 15000, 300), run('default', 15000, 100, 'node')] };
  it('interpolates between measured designs by estimated LUTs, and extrapolates beyond', () => {
    expect(expectedSeconds(times, 'anlogic', 8000, 'chromium')!.seconds).toBeCloseTo(160, 5);
    expect(expectedSeconds(times, 'anlogic', 29000, 'chromium')!.seconds).toBeCloseTo(580, 5);
    expect(expectedSeconds(times, 'anlogic', 15000, 'node')!.seconds).toBe(100);
  });
  it('never goes below the smallest run (start-up), and says what it comes from', () => {
    const e = expectedSeconds(times, 'anlogic', 10, 'chromium')!;
    expect(e.seconds).toBe(20);
    expect(e.basis).toMatch(/20 s for the micro design \(1,000 LUT est\., load 3, 2026-12-03\); 300 s for the default design/);
  });
  it('scales a single run proportionally for larger designs only', () => {
    expect(expectedSeconds(times, 'anlogic', 30000, 'node')!.seconds).toBe(200);
    expect(expectedSeconds(times, 'anlogic', 1500, 'node')!.seconds).toBe(100);
  });
  it('has nothing to say for a family nobody measured', () => {
    expect(expectedSeconds(times, 'gowin', 1000, 'chromium')).toBeNull();
  });
  it('formats seconds and minutes', () => {
    expect(formatDuration(3)).toBe('about 5 s');
    expect(formatDuration(42)).toBe('about 40 s');
    expect(formatDuration(400)).toBe('about 7 min');
  });
});

/**
 * What a synthesis costs before it runs: wall times measured by `npm run bench -- synth`
 * (tools/bench/synth.bench.ts, written to wall-times.json) scaled to the design at hand.
 */
import type { SynthFamily } from './families.ts';

export interface WallTime {
  design: string;
  family: SynthFamily;
  engine: 'debian' | 'node' | 'chromium';
  seconds: number;
  /** The design's estimated LUT total (family's device unit): what the expectation scales with. */
  estimatedLut: number;
  /** 1-minute load average before and after the run. */
  load: [number, number];
  date: string;
}

export interface WallTimes {
  note: string;
  runs: WallTime[];
}

export interface ExpectedTime {
  seconds: number;
  /** What the number comes from, for the user. */
  basis: string;
}

/**
 * Expected wall time of `family` on a design of `estimatedLut` LUTs with `engine`: through the
 * measured runs of that family and engine, linear in the estimated LUT count between and beyond
 * them, never below the smallest run (Yosys' start-up); one run alone scales proportionally for a
 * larger design. Null when nothing was measured. Yosys' time is not linear in general (ABC,
 * memory mapping): this is an order of magnitude, and the UI says so.
 */
export function expectedSeconds(times: WallTimes, family: SynthFamily, estimatedLut: number, engine: WallTime['engine']): ExpectedTime | null {
  const runs = times.runs.filter((r) => r.family === family && r.engine === engine).sort((a, b) => a.estimatedLut - b.estimatedLut);
  if (!runs.length) return null;
  const describe = (r: WallTime) => `${r.seconds.toFixed(0)} s for ${r.design === 'default' ? 'the default design' : `the ${r.design} design`} (${r.estimatedLut.toLocaleString('en-US')} LUT est., load ${Math.max(...r.load).toFixed(0)}, ${r.date})`;
  const basis = `measured by npm run bench: ${runs.map(describe).join('; ')}`;
  if (runs.length === 1) return { seconds: runs[0].seconds * Math.max(1, estimatedLut / runs[0].estimatedLut), basis };
  // The two runs around the design (or the nearest two), joined by a line; never below the smallest run.
  const hi = runs.findIndex((r) => r.estimatedLut >= estimatedLut);
  const [a, b] = hi <= 0 ? [runs[0], runs[1]] : [runs[hi - 1], runs[hi]];
  const slope = b.estimatedLut === a.estimatedLut ? 0 : (b.seconds - a.seconds) / (b.estimatedLut - a.estimatedLut);
  const seconds = Math.max(runs[0].seconds, a.seconds + slope * (estimatedLut - a.estimatedLut));
  return { seconds, basis };
}

/** "about 40 s", "about 6 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds / 5) * 5)} s`;
  return `about ${Math.round(seconds / 60)} min`;
}

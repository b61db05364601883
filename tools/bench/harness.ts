/** Tiny benchmark helpers: repeat a function, report the median and spread. */

export interface Timing {
  name: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export async function time(name: string, fn: () => unknown, { runs = 20, warmup = 3 } = {}): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { name, runs, medianMs: samples[Math.floor(runs / 2)], minMs: samples[0], maxMs: samples[runs - 1] };
}

/** One section of docs/benchmarks.md. */
export interface BenchSection {
  title: string;
  /** Markdown body (tables, notes). */
  body: string;
}

export const timingTable = (timings: Timing[], target?: (t: Timing) => string): string =>
  [
    `| what | runs | median | min | max |${target ? ' target |' : ''}`,
    `|---|---|---|---|---|${target ? '---|' : ''}`,
    ...timings.map(
      (t) =>
        `| ${t.name} | ${t.runs} | ${t.medianMs.toFixed(3)} ms | ${t.minMs.toFixed(3)} ms | ${t.maxMs.toFixed(3)} ms |${target ? ` ${target(t)} |` : ''}`,
    ),
  ].join('\n');

/** Browser side of the synthesis bench (tools/bench/synth.bench.ts): the app's synth worker on a design's files. */
import type { SynthFamily } from '../../../src/core/synth/families.ts';
import { synthesizeInWorker } from '../../../src/workers-client/synth.ts';

async function synthBench(request: { files: Record<string, string>; top: string; family: SynthFamily; timeLimitMs: number }) {
  const started = performance.now();
  const phases: string[] = [];
  const run = await synthesizeInWorker({ ...request, onProgress: (p) => phases.push(p.phase) });
  return { wallSeconds: (performance.now() - started) / 1000, run, phases: phases.length, userAgent: navigator.userAgent };
}

(window as unknown as { edgefoldSynthBench: typeof synthBench }).edgefoldSynthBench = synthBench;
document.getElementById('log')!.textContent = 'ready';

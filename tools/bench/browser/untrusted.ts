/**
 * Browser side of the untrusted-input bench (tools/bench/untrusted.bench.ts): chains of Conv + Relu
 * pairs opened in the app's model worker (workers/model.worker.ts through checkModelOffThread, as
 * the store does), with the worker's own stage timings, then what the page's thread still does
 * after the worker accepted the file (the store's loadModel + designContext), timed on this thread.
 */
import { designContext } from '../../../src/core/design/design.ts';
import { loadModel } from '../../../src/core/graph/index.ts';
import { checkModelOffThread } from '../../../src/workers-client/model.ts';
import { convReluChain } from '../../../test/chain.ts';

export interface UntrustedRow {
  pairs: number;
  nodes: number;
  runs: number;
  /** Medians, wall-clock milliseconds. */
  worker: { decode: number; layers: number; groups: number; total: number };
  /** The worker call as the page sees it (worker start, copying the bytes in, analysis, reply). */
  roundTrip: number;
  /** Main-thread rebuild after the worker (store.openModelBytes). */
  mainThread: number;
  /**
   * structuredClone of that analysed model (serialize + deserialize, on this thread): what sending
   * it from the worker instead would cost (postMessage does the same two steps on two threads).
   */
  clone: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function bench(options: { pairs: number[]; runs: number }): Promise<UntrustedRow[]> {
  const rows: UntrustedRow[] = [];
  for (const pairs of options.pairs) {
    const bytes = convReluChain(pairs);
    const samples: { decode: number; layers: number; groups: number; total: number; roundTrip: number; main: number; clone: number }[] = [];
    for (let r = 0; r < options.runs; r++) {
      const t0 = performance.now();
      const check = await checkModelOffThread(bytes, 'chain.onnx');
      const roundTrip = performance.now() - t0;
      if (!check) throw new Error('no Worker in this page');
      const t1 = performance.now();
      const loaded = loadModel(bytes, 'chain.onnx');
      const context = designContext(loaded);
      const main = performance.now() - t1;
      const t2 = performance.now();
      structuredClone({ loaded, analysis: context.analysis });
      const clone = performance.now() - t2;
      samples.push({ ...check.stages, total: check.ms, roundTrip, main, clone });
      document.getElementById('log')!.textContent += `\n${pairs} pairs: worker ${check.ms.toFixed(0)} ms, main ${main.toFixed(0)} ms`;
    }
    const m = (k: keyof (typeof samples)[number]) => median(samples.map((s) => s[k]));
    rows.push({
      pairs,
      nodes: 2 * pairs,
      runs: options.runs,
      worker: { decode: m('decode'), layers: m('layers'), groups: m('groups'), total: m('total') },
      roundTrip: m('roundTrip'),
      mainThread: m('main'),
      clone: m('clone'),
    });
  }
  return rows;
}

(window as unknown as { edgefoldUntrustedBench: typeof bench }).edgefoldUntrustedBench = bench;
document.getElementById('log')!.textContent = 'ready';

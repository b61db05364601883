/**
 * Browser side of the untrusted-input bench (tools/bench/untrusted.bench.ts): chains of Conv + Relu
 * pairs opened as the store opens them (openModelForDesign: analysed in the app's model worker,
 * received by structured clone), with the worker's own stage timings and what the page's thread
 * spends: the long tasks on this thread while the open runs (receiving the analysed model), the
 * first design evaluation, and, for comparison, the rebuild the page did before (loadModel +
 * channel groups on this thread).
 */
import { defaultDesign, evaluateDesign } from '../../../src/core/design/design.ts';
import { unpackOpenedModel } from '../../../src/core/design/packed-model.ts';
import { loadModel } from '../../../src/core/graph/index.ts';
import { findChannelGroups } from '../../../src/core/prune/groups.ts';
import { checkModelOffThread } from '../../../src/workers-client/model.ts';
import { convReluChain } from '../../../test/chain.ts';

export interface UntrustedRow {
  pairs: number;
  nodes: number;
  runs: number;
  /** Medians, wall-clock milliseconds. */
  worker: { decode: number; layers: number; groups: number; context: number; total: number };
  /** The open as the page sees it (worker start, copying the bytes in, analysis, reply received). */
  roundTrip: number;
  /** Long tasks (over 50 ms) on the page's thread during the open: receiving the analysed model. */
  pageLongTasks: number;
  /** The longest of them (how long the tab was frozen at once). */
  pageLongestTask: number;
  /** Unpacking the received model on this thread (rebuilding its objects). */
  unpack: number;
  /** The first evaluateDesign of the default design on the received context, on this thread. */
  firstEvaluate: number;
  /** What the page did before this change after the worker accepted the file: loadModel + channel groups, on this thread. */
  rebuildBefore: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Long tasks on this thread while `work` runs (PerformanceObserver 'longtask'). */
async function withLongTasks<T>(work: () => Promise<T>): Promise<{ value: T; total: number; longest: number }> {
  // The caller's own long task (the previous run's rebuild) ends first and is not counted.
  await new Promise((r) => setTimeout(r, 100));
  const started = performance.now();
  const tasks: number[] = [];
  const keep = (entries: PerformanceEntryList) => {
    for (const entry of entries) if (entry.startTime >= started) tasks.push(entry.duration);
  };
  const observer = new PerformanceObserver((list) => keep(list.getEntries()));
  observer.observe({ type: 'longtask' });
  const value = await work();
  // Entries are delivered after the task ends: let the observer run.
  await new Promise((r) => setTimeout(r, 100));
  keep(observer.takeRecords());
  observer.disconnect();
  return { value, total: tasks.reduce((a, b) => a + b, 0), longest: Math.max(0, ...tasks) };
}

async function bench(options: { pairs: number[]; runs: number; before?: boolean }): Promise<UntrustedRow[]> {
  const rows: UntrustedRow[] = [];
  for (const pairs of options.pairs) {
    const bytes = convReluChain(pairs);
    const samples: Record<'decode' | 'layers' | 'groups' | 'context' | 'total' | 'roundTrip' | 'long' | 'longest' | 'unpack' | 'evaluate' | 'before', number>[] = [];
    for (let r = 0; r < options.runs; r++) {
      let roundTrip = 0;
      // The store's openModelForDesign without the Node fallback (the stage timings are the worker's).
      const open = await withLongTasks(async () => {
        const t0 = performance.now();
        const result = await checkModelOffThread(bytes, 'chain.onnx');
        roundTrip = performance.now() - t0;
        return result;
      });
      const check = open.value;
      if (!check) throw new Error('no Worker in this page');
      const t1 = performance.now();
      const opened = unpackOpenedModel(check.packed);
      const unpack = performance.now() - t1;
      evaluateDesign(opened.context, defaultDesign());
      const evaluate = performance.now() - t1 - unpack;
      let before = NaN;
      if (options.before !== false) {
        const t2 = performance.now();
        findChannelGroups(loadModel(bytes, 'chain.onnx').graph);
        before = performance.now() - t2;
      }
      samples.push({ ...check.stages, total: check.ms, roundTrip, long: open.total, longest: open.longest, unpack, evaluate, before });
      document.getElementById('log')!.textContent += `\n${pairs} pairs: worker ${check.ms.toFixed(0)} ms, page long tasks ${open.total.toFixed(0)} ms, unpack ${unpack.toFixed(0)} ms, rebuild before ${before.toFixed(0)} ms`;
    }
    const m = (k: keyof (typeof samples)[number]) => median(samples.map((s) => s[k]));
    rows.push({
      pairs,
      nodes: 2 * pairs,
      runs: options.runs,
      worker: { decode: m('decode'), layers: m('layers'), groups: m('groups'), context: m('context'), total: m('total') },
      roundTrip: m('roundTrip'),
      pageLongTasks: m('long'),
      pageLongestTask: m('longest'),
      unpack: m('unpack'),
      firstEvaluate: m('evaluate'),
      rebuildBefore: m('before'),
    });
  }
  return rows;
}

(window as unknown as { edgefoldUntrustedBench: typeof bench }).edgefoldUntrustedBench = bench;
document.getElementById('log')!.textContent = 'ready';

import * as Comlink from 'comlink';
import { EdgefoldError } from '../core/errors.ts';
import type { SynthRequest, SynthWorkerApi } from '../../workers/synth.worker.ts';
import type { WasmSynthProgress, WasmSynthRun } from '../core/synth/yowasp.ts';
import { WorkerBridge, webWorker } from './bridge.ts';

export type { SynthRequest, WasmSynthProgress, WasmSynthRun };

/**
 * Yosys (WebAssembly) in its own worker. A run blocks that worker in one wasm call with no cancel
 * points, so cancel terminates it at once (cancelGraceMs 0), as does the time limit; the worker is
 * dropped a minute after a run (its wasm holds hundreds of MB).
 */
const synthBridge = new WorkerBridge<SynthWorkerApi>({
  name: 'synth',
  idleMs: 60_000,
  cancelGraceMs: 0,
  start: () => webWorker(new Worker(new URL('../../workers/synth.worker.ts', import.meta.url), { type: 'module', name: 'edgefold-synth' })),
});

export interface SynthesizeOptions extends SynthRequest {
  signal?: AbortSignal;
  /** Terminate the run after this long (ms). */
  timeLimitMs: number;
  onProgress?: (p: WasmSynthProgress) => void;
}

/** Runs Yosys on the design in the synth worker; rejects as cancelled on abort, with a clear message past the time limit. */
export async function synthesizeInWorker(options: SynthesizeOptions): Promise<WasmSynthRun> {
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(), options.timeLimitMs);
  const signal = options.signal ? AbortSignal.any([options.signal, limit.signal]) : limit.signal;
  try {
    return await synthBridge.job('synthesize', signal, (worker) =>
      worker.synthesize({ files: options.files, top: options.top, family: options.family }, options.onProgress ? Comlink.proxy(options.onProgress) : undefined),
    );
  } catch (error) {
    if (limit.signal.aborted && !options.signal?.aborted) {
      throw new EdgefoldError('cancelled', `Synthesis stopped at the time limit (${Math.round(options.timeLimitMs / 60_000)} min); the design is too large to synthesize here in that time.`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

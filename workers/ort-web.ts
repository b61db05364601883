import * as ort from 'onnxruntime-web/wasm';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import type { OrtModule } from '../src/core/eval/ort-runner.ts';

let configured = false;

/**
 * onnxruntime-web (wasm only) set up for a worker: the wasm binary is served by Vite as an
 * asset, and threads are used when the page is cross-origin isolated.
 */
export function ortWeb(threads?: number): OrtModule {
  if (!configured) {
    ort.env.wasm.wasmPaths = { wasm: wasmUrl };
    const available = self.crossOriginIsolated ? Math.min(navigator.hardwareConcurrency || 1, 4) : 1;
    ort.env.wasm.numThreads = Math.max(1, Math.min(threads ?? available, available));
    configured = true;
  }
  return ort;
}

export const ortThreads = (): number => ort.env.wasm.numThreads ?? 1;

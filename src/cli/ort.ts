import type { OrtModule } from '../core/eval/ort-runner.ts';

export type EngineName = 'wasm' | 'native';

/**
 * onnxruntime for the CLI: the same wasm build the browser uses by default (so accuracies agree),
 * or onnxruntime-node when it is installed (about 4x faster, used as a baseline in benchmarks).
 */
export async function loadOrt(engine: EngineName = 'wasm'): Promise<OrtModule> {
  if (engine === 'native') {
    try {
      const name = 'onnxruntime-node';
      return (await import(/* @vite-ignore */ name)) as OrtModule;
    } catch {
      throw new Error('the native engine needs onnxruntime-node: install it with ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node');
    }
  }
  return (await import('onnxruntime-web')) as OrtModule;
}

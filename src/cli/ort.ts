import type { OrtModule } from '../core/eval/ort-runner.ts';

export type EngineName = 'wasm' | 'native';

/**
 * onnxruntime for the CLI: the same wasm build the browser uses by default (so accuracies agree),
 * or onnxruntime-node (a dependency: its bundled CPU library, about 4-6x faster on one thread).
 */
export async function loadOrt(engine: EngineName = 'wasm'): Promise<OrtModule> {
  if (engine === 'native') {
    try {
      const name = 'onnxruntime-node';
      return (await import(/* @vite-ignore */ name)) as OrtModule;
    } catch {
      throw new Error('the native engine needs onnxruntime-node, which did not load: run npm install in the project (its .npmrc skips the package\'s CUDA download)');
    }
  }
  return (await import('onnxruntime-web')) as OrtModule;
}

import type * as Ort from 'onnxruntime-web';
import type { InferenceRunner } from './evaluate.ts';

/** The part of an onnxruntime module (web, wasm-only or node) the runner needs. */
export interface OrtModule {
  InferenceSession: typeof Ort.InferenceSession;
  Tensor: typeof Ort.Tensor;
}

export interface OrtRunner extends InferenceRunner {
  session: Ort.InferenceSession;
  release(): Promise<void>;
}

/**
 * An InferenceRunner over any onnxruntime flavour, so the CLI (node or wasm) and the
 * browser workers share one evaluation path.
 */
export async function createOrtRunner(
  ort: OrtModule,
  modelBytes: Uint8Array,
  options: Ort.InferenceSession.SessionOptions = {},
): Promise<OrtRunner> {
  const session = await ort.InferenceSession.create(modelBytes, { graphOptimizationLevel: 'all', logSeverityLevel: 3, ...options });
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  return {
    session,
    async run(input, dims) {
      const feeds = { [inputName]: new ort.Tensor('float32', input, dims) };
      const outputs = await session.run(feeds);
      const data = outputs[outputName].data as Float32Array;
      for (const t of Object.values(outputs)) t.dispose?.();
      return data;
    },
    release: () => session.release(),
  };
}

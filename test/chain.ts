import { buildModel, node, tensorInfo } from '../src/core/onnx/builder.ts';
import { encodeModel } from '../src/core/onnx/model.ts';
import { floatTensor } from '../src/core/onnx/tensor.ts';

/**
 * A chain of `length` Conv (1x1, `channels` -> `channels`) + Relu pairs as ONNX bytes: the
 * shape of a very deep model, for the linear-time checks (tests, tools/bench/untrusted.bench.ts).
 */
export function convReluChain(length: number, channels = 4, side = 8): Uint8Array {
  const nodes = [];
  const initializers = [];
  let x = 'input';
  for (let i = 0; i < length; i++) {
    const w = `w${i}`;
    initializers.push(floatTensor(w, [channels, channels, 1, 1], Array.from({ length: channels * channels }, (_, k) => ((k * 7 + i) % 13) / 13 - 0.5)));
    nodes.push(node('Conv', [x, w], [`c${i}`], { kernel_shape: [1, 1] }, `conv${i}`));
    nodes.push(node('Relu', [`c${i}`], [`r${i}`], {}, `relu${i}`));
    x = `r${i}`;
  }
  return encodeModel(
    buildModel({ nodes, initializers, inputs: [tensorInfo('input', [1, channels, side, side])], outputs: [tensorInfo(x, [1, channels, side, side])] }),
  );
}

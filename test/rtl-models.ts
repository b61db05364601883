/**
 * Small CNNs with random weights for the generated-accelerator tests and benches (src/cli/rtl.test.ts,
 * tools/bench/rtl.bench.ts): a depthwise-separable chain and one with a residual Add.
 */
import { mulberry32 } from '../src/core/data/random.ts';
import { buildModel, node, tensorInfo } from '../src/core/onnx/builder.ts';
import { encodeModel } from '../src/core/onnx/model.ts';
import { floatTensor } from '../src/core/onnx/tensor.ts';

function randomWeights(seed: number) {
  const random = mulberry32(seed);
  return (n: number, scale: number) => Array.from({ length: n }, () => (random() - 0.5) * scale);
}

/** 1xSxS -> conv3x3 (4) -> dw3x3 s2 (4) -> pw (8) -> GAP -> FC (3), ReLU after each conv. */
export function tinyModel(size: number, seed = 17): Uint8Array {
  const weights = randomWeights(seed);
  return encodeModel(
    buildModel({
      inputs: [tensorInfo('x', ['N', 1, size, size])],
      outputs: [tensorInfo('y', ['N', 3])],
      initializers: [
        floatTensor('w0', [4, 1, 3, 3], weights(36, 1.2)),
        floatTensor('b0', [4], weights(4, 0.2)),
        floatTensor('w1', [4, 1, 3, 3], weights(36, 1.2)),
        floatTensor('b1', [4], weights(4, 0.2)),
        floatTensor('w2', [8, 4, 1, 1], weights(32, 1.2)),
        floatTensor('b2', [8], weights(8, 0.2)),
        floatTensor('w3', [3, 8], weights(24, 1.2)),
        floatTensor('b3', [3], weights(3, 0.2)),
      ],
      nodes: [
        node('Conv', ['x', 'w0', 'b0'], ['c0'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'stem'),
        node('Relu', ['c0'], ['r0']),
        node('Conv', ['r0', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1], strides: [2, 2], group: 4, kernel_shape: [3, 3] }, 'dw'),
        node('Relu', ['c1'], ['r1']),
        node('Conv', ['r1', 'w2', 'b2'], ['c2'], {}, 'pw'),
        node('Relu', ['c2'], ['r2']),
        node('GlobalAveragePool', ['r2'], ['g']),
        node('Flatten', ['g'], ['f']),
        node('Gemm', ['f', 'w3', 'b3'], ['y'], { transB: 1 }, 'fc'),
      ],
    }),
  );
}

/** 1xSxS -> conv3x3 (C) -> [dw3x3 (C) -> pw (C), no ReLU] + skip -> ReLU -> GAP -> FC (classes). */
export function residualModel(size: number, seed = 17, channels = 4, classes = 3): Uint8Array {
  const weights = randomWeights(seed);
  const c = channels;
  return encodeModel(
    buildModel({
      inputs: [tensorInfo('x', ['N', 1, size, size])],
      outputs: [tensorInfo('y', ['N', classes])],
      initializers: [
        floatTensor('w0', [c, 1, 3, 3], weights(c * 9, 1.2)),
        floatTensor('b0', [c], weights(c, 0.2)),
        floatTensor('w1', [c, 1, 3, 3], weights(c * 9, 1.2)),
        floatTensor('b1', [c], weights(c, 0.2)),
        floatTensor('w2', [c, c, 1, 1], weights(c * c, 2.4 / Math.sqrt(c))),
        floatTensor('b2', [c], weights(c, 0.2)),
        floatTensor('w3', [classes, c], weights(classes * c, 1.2)),
        floatTensor('b3', [classes], weights(classes, 0.2)),
      ],
      nodes: [
        node('Conv', ['x', 'w0', 'b0'], ['c0'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'stem'),
        node('Relu', ['c0'], ['r0']),
        node('Conv', ['r0', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1], group: c, kernel_shape: [3, 3] }, 'dw'),
        node('Relu', ['c1'], ['r1']),
        node('Conv', ['r1', 'w2', 'b2'], ['c2'], {}, 'pw'),
        node('Add', ['c2', 'r0'], ['a'], {}, 'add'),
        node('Relu', ['a'], ['r2']),
        node('GlobalAveragePool', ['r2'], ['g']),
        node('Flatten', ['g'], ['f']),
        node('Gemm', ['f', 'w3', 'b3'], ['y'], { transB: 1 }, 'fc'),
      ],
    }),
  );
}


/** The smallest useful accelerator: 1xSxS -> conv3x3 s2 (2) -> ReLU -> GAP -> FC (3). Synthesizes in seconds (e2e/synthesis.spec.ts). */
export function microModel(size: number, seed = 17): Uint8Array {
  const weights = randomWeights(seed);
  return encodeModel(
    buildModel({
      inputs: [tensorInfo('x', ['N', 1, size, size])],
      outputs: [tensorInfo('y', ['N', 3])],
      initializers: [floatTensor('w0', [2, 1, 3, 3], weights(18, 1.2)), floatTensor('b0', [2], weights(2, 0.2)), floatTensor('w1', [3, 2], weights(6, 1.2)), floatTensor('b1', [3], weights(3, 0.2))],
      nodes: [
        node('Conv', ['x', 'w0', 'b0'], ['c0'], { pads: [1, 1, 1, 1], strides: [2, 2], kernel_shape: [3, 3] }, 'stem'),
        node('Relu', ['c0'], ['r0']),
        node('GlobalAveragePool', ['r0'], ['g']),
        node('Flatten', ['g'], ['f']),
        node('Gemm', ['f', 'w1', 'b1'], ['y'], { transB: 1 }, 'fc'),
      ],
    }),
  );
}

/**
 * Both max pool engines: 1xSxS -> pw (4) -> ReLU -> MaxPool 2x2 s2 (StreamingMaxPool, unsigned)
 * -> pw (8), no ReLU -> MaxPool 3x3 s2 pad 1 (window + Pool, signed: padding must not win) -> GAP -> FC (3).
 */
export function maxPoolModel(size: number, seed = 17): Uint8Array {
  const weights = randomWeights(seed);
  return encodeModel(
    buildModel({
      inputs: [tensorInfo('x', ['N', 1, size, size])],
      outputs: [tensorInfo('y', ['N', 3])],
      initializers: [
        floatTensor('w0', [4, 1, 1, 1], weights(4, 2.4)),
        floatTensor('b0', [4], weights(4, 0.4)),
        floatTensor('w1', [8, 4, 1, 1], weights(32, 1.2)),
        floatTensor('b1', [8], weights(8, 0.2)),
        floatTensor('w2', [3, 8], weights(24, 1.2)),
        floatTensor('b2', [3], weights(3, 0.2)),
      ],
      nodes: [
        node('Conv', ['x', 'w0', 'b0'], ['c0'], {}, 'stem'),
        node('Relu', ['c0'], ['r0']),
        node('MaxPool', ['r0'], ['p0'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool2'),
        node('Conv', ['p0', 'w1', 'b1'], ['c1'], {}, 'pw'),
        node('MaxPool', ['c1'], ['p1'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'pool3'),
        node('GlobalAveragePool', ['p1'], ['g']),
        node('Flatten', ['g'], ['f']),
        node('Gemm', ['f', 'w2', 'b2'], ['y'], { transB: 1 }, 'fc'),
      ],
    }),
  );
}

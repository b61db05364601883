/**
 * Pooling backward: global average (spread evenly), average (a depthwise ConvTranspose with a
 * constant kernel over the gradient divided by each window's count), max (the gradient goes to
 * the first maximum's position, from MaxPool's Indices output, by ScatterElements with add).
 */
import { attrInt, attrInts } from '../../graph/graph.ts';
import { windowGeometry } from '../../graph/shapes.ts';
import { staticDims, unsupported, type BackwardContext, type OpRule, type RuleContext } from './rule.ts';

export const globalAveragePoolRule: OpRule = {
  backward({ b, node, gradOut, shape }) {
    if (!gradOut[0]) return [];
    const x = node.inputs[0];
    const pixels = staticDims(node, shape(x), 2).reduce((a, d) => a * d, 1);
    return [b.op('Expand', [b.scale(gradOut[0], 1 / pixels), b.shapeOf(x)])];
  },
};

function poolGeometry(ctx: RuleContext | BackwardContext) {
  const { node } = ctx;
  const x = ctx.shape(node.inputs[0]);
  if (x.length !== 4) throw unsupported(node, 'only 2-D pooling is supported');
  const [c, h, w] = staticDims(node, x);
  const kernel = attrInts(node, 'kernel_shape')!;
  if (attrInt(node, 'ceil_mode', 0) === 1) throw unsupported(node, 'ceil_mode is not supported');
  return { c, h, w, ...windowGeometry(node, [h, w], kernel) };
}

export const averagePoolRule: OpRule = {
  backward(ctx) {
    const { b, node, gradOut } = ctx;
    const dy = gradOut[0];
    if (!dy) return [];
    const g = poolGeometry(ctx);
    const [ho, wo] = g.outSpatial as number[];
    const includePad = attrInt(node, 'count_include_pad', 0) === 1;
    // Elements each output averaged over (padding counted or not).
    const counts = new Float32Array(ho * wo);
    for (let y = 0; y < ho; y++) {
      for (let x = 0; x < wo; x++) {
        const span = (start: number, size: number, k: number, d: number) => {
          let n = 0;
          for (let t = 0; t < k; t++) {
            const p = start + t * d;
            if (includePad || (p >= 0 && p < size)) n++;
          }
          return n;
        };
        counts[y * wo + x] = span(y * g.stride[0] - g.pads[0], g.h, g.kernel[0], g.dilation[0]) * span(x * g.stride[1] - g.pads[1], g.w, g.kernel[1], g.dilation[1]);
      }
    }
    const divided = b.op('Div', [dy, b.float(counts, [1, 1, ho, wo], 'pool_counts')]);
    const ones = b.float(new Float32Array(g.c * g.kernel[0] * g.kernel[1]).fill(1), [g.c, 1, g.kernel[0], g.kernel[1]], 'pool_ones');
    const outputPadding = [0, 1].map((a) => (a === 0 ? g.h : g.w) - ((g.outSpatial[a]! - 1) * g.stride[a] + (g.kernel[a] - 1) * g.dilation[a] + 1 - g.pads[a] - g.pads[a + 2]));
    return [
      b.op('ConvTranspose', [divided, ones], { group: g.c, strides: g.stride, dilations: g.dilation, pads: g.pads, kernel_shape: g.kernel, output_padding: outputPadding }),
    ];
  },
};

export const maxPoolRule: OpRule = {
  forward(ctx) {
    const { b, node } = ctx;
    poolGeometry(ctx);
    if (attrInt(node, 'storage_order', 0) !== 0) throw unsupported(node, 'storage_order 1 is not supported');
    const indices = b.fresh(`${node.outputs[0]}_indices`);
    b.copy(node.proto, [node.inputs[0]], [node.outputs[0], indices]);
    return { indices };
  },
  backward({ b, node, gradOut, saved }) {
    const dy = gradOut[0];
    if (!dy) return [];
    const x = node.inputs[0];
    const zeros = b.op('ConstantOfShape', [b.shapeOf(b.reshape(x, [-1]))]);
    const flat = b.op('ScatterElements', [zeros, b.reshape(saved.indices, [-1]), b.reshape(dy, [-1])], { axis: 0, reduction: 'add' });
    return [b.reshapeLike(flat, x)];
  },
};

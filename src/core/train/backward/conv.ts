/**
 * Conv backward in standard ONNX ops (2-D, any group, stride, padding, dilation):
 * - input gradient: ConvTranspose of the output gradient with the same weights;
 * - weight gradient: 1x1 stride-1 convs as one MatMul over (batch x pixels); depthwise convs as
 *   one multiply-and-sum per kernel tap over strided slices of the padded input; other convs as
 *   a Conv of the input with the output gradient as kernel, the stride as dilation (batch and
 *   channel axes swapped), per group;
 * - bias gradient: sum over batch and pixels.
 */
import { attrInt, attrInts } from '../../graph/graph.ts';
import { windowGeometry, type WindowGeometry } from '../../graph/shapes.ts';
import type { GraphBuilder } from '../builder.ts';
import { staticDims, unsupported, type BackwardContext, type OpRule } from './rule.ts';

interface ConvGeometry extends WindowGeometry {
  inChannels: number;
  outChannels: number;
  group: number;
  inSize: [number, number];
  outSize: [number, number];
}

function geometry(ctx: BackwardContext): ConvGeometry {
  const { node } = ctx;
  const x = ctx.shape(node.inputs[0]);
  const w = ctx.constant(node.inputs[1])?.dims ?? staticDims(node, ctx.shape(node.inputs[1]), 0);
  if (x.length !== 4 || w.length !== 4) throw unsupported(node, 'only 2-D convolutions are supported');
  const [c, h, wd] = staticDims(node, x);
  const kernel = attrInts(node, 'kernel_shape') ?? w.slice(2);
  const g = windowGeometry(node, [h, wd], kernel);
  return {
    ...g,
    inChannels: c,
    outChannels: w[0],
    group: attrInt(node, 'group', 1),
    inSize: [h, wd],
    outSize: g.outSpatial as [number, number],
  };
}

/** dW for a group-1 conv: Conv(X^T, dY^T) with stride and dilation swapped, cropped to the kernel. */
function denseWeightGrad(b: GraphBuilder, x: string, dy: string, g: ConvGeometry): string {
  const [kh, kw] = g.kernel;
  if (kh === 1 && kw === 1 && g.stride.every((s) => s === 1) && g.pads.every((p) => p === 0)) {
    const cin = g.inChannels / g.group;
    const dyRows = b.reshape(b.transpose(dy, [1, 0, 2, 3]), [g.outChannels / g.group, -1]);
    const xCols = b.reshape(b.transpose(x, [0, 2, 3, 1]), [-1, cin]);
    return b.reshape(b.op('MatMul', [dyRows, xCols]), [g.outChannels / g.group, cin, 1, 1]);
  }
  const full = b.op('Conv', [b.transpose(x, [1, 0, 2, 3]), b.transpose(dy, [1, 0, 2, 3])], {
    strides: g.dilation,
    dilations: g.stride,
    pads: g.pads,
  });
  const cropped = b.slice(full, [0, 0], [kh, kw], [2, 3]);
  return b.transpose(cropped, [1, 0, 2, 3]);
}

/**
 * dW for a depthwise conv (one input channel per group, multiplier 1): channels become groups and
 * the batch becomes each group's input channels, so one grouped Conv sums over batch and pixels.
 */
function depthwiseWeightGrad(b: GraphBuilder, x: string, dy: string, g: ConvGeometry): string {
  const [kh, kw] = g.kernel;
  const [h, w] = g.inSize;
  const stacked = b.reshape(b.transpose(x, [1, 0, 2, 3]), [1, -1, h, w]);
  const full = b.op('Conv', [stacked, b.transpose(dy, [1, 0, 2, 3])], {
    group: g.outChannels,
    strides: g.dilation,
    dilations: g.stride,
    pads: g.pads,
  });
  return b.reshape(b.slice(full, [0, 0], [kh, kw], [2, 3]), [g.outChannels, 1, kh, kw]);
}

export const convRule: OpRule = {
  backward(ctx) {
    const { b, node, needs } = ctx;
    const dy = ctx.gradOut[0];
    if (!dy) return [];
    const g = geometry(ctx);
    const [x, w] = node.inputs;
    const grads: (string | undefined)[] = [];
    const depthwise = g.group > 1 && g.inChannels === g.group && g.outChannels === g.group;
    const unitStride = g.stride.every((v) => v === 1);
    if (needs[0] && depthwise && unitStride) {
      // Stride 1: the transposed conv is a conv with the kernel flipped, on the fast depthwise path.
      const [kh, kw] = g.kernel;
      const flipped = b.slice(w, [kh - 1, kw - 1], [-kh - 1, -kw - 1], [2, 3], [-1, -1]);
      const reach = (a: number) => (g.kernel[a] - 1) * g.dilation[a];
      grads[0] = b.op('Conv', [dy, flipped], {
        group: g.group,
        dilations: g.dilation,
        kernel_shape: g.kernel,
        pads: [reach(0) - g.pads[0], reach(1) - g.pads[1], reach(0) - g.pads[2], reach(1) - g.pads[3]],
      });
    } else if (needs[0]) {
      const [h, wd] = g.inSize;
      const outputPadding = [0, 1].map((a) => {
        const covered = (g.outSize[a] - 1) * g.stride[a] + (g.kernel[a] - 1) * g.dilation[a] + 1 - g.pads[a] - g.pads[a + 2];
        return (a === 0 ? h : wd) - covered;
      });
      grads[0] = b.op('ConvTranspose', [dy, w], {
        group: g.group,
        strides: g.stride,
        dilations: g.dilation,
        pads: g.pads,
        kernel_shape: g.kernel,
        output_padding: outputPadding,
      });
    }
    if (needs[1]) {
      const cin = g.inChannels / g.group;
      const cout = g.outChannels / g.group;
      if (g.group > 1 && cin === 1 && cout === 1) grads[1] = depthwiseWeightGrad(b, x, dy, g);
      else if (g.group === 1) grads[1] = denseWeightGrad(b, x, dy, g);
      else {
        const parts = [];
        for (let k = 0; k < g.group; k++) {
          const xs = b.slice(x, [k * cin], [(k + 1) * cin], [1]);
          const dys = b.slice(dy, [k * cout], [(k + 1) * cout], [1]);
          parts.push(denseWeightGrad(b, xs, dys, { ...g, group: 1, inChannels: cin, outChannels: cout }));
        }
        grads[1] = b.op('Concat', parts, { axis: 0 });
      }
    }
    if (node.inputs[2] && needs[2]) grads[2] = b.reduceSum(dy, [0, 2, 3], false);
    return grads;
  },
};

/** Backward of elementwise ops: activations (Relu, Clip), the fake-quant chain's Round, and arithmetic with broadcasting. */
import type { GraphNode } from '../../graph/graph.ts';
import type { Shape } from '../../graph/layer.ts';
import type { GraphBuilder } from '../builder.ts';
import { unsupported, type BackwardContext, type OpRule } from './rule.ts';

/** Sums a gradient of shape `out` down to a broadcast input of shape `input`. */
export function unbroadcast(b: GraphBuilder, dy: string, out: Shape, input: Shape): string {
  const lead = out.length - input.length;
  const axes: number[] = [];
  for (let i = 0; i < out.length; i++) {
    const d = i < lead ? undefined : input[i - lead];
    if (i < lead || (d === 1 && out[i] !== 1)) axes.push(i);
  }
  if (!axes.length) return dy;
  const summed = b.reduceSum(dy, axes, true);
  return lead > 0 || input.length === 0 ? b.reshape(summed, input.map((d) => d ?? -1)) : summed;
}

export const reluRule: OpRule = {
  // PyTorch: grad * (output > 0). (Where measured faster than Mul by Sign(output) in onnxruntime-node.)
  backward: ({ b, node, gradOut }) => [gradOut[0] && b.op('Where', [b.op('Greater', [node.outputs[0], b.float([0])]), gradOut[0], b.float([0])])],
};

/** Clip: the gradient passes where min <= x <= max (inclusive, as torch.clamp and fake-quant STE). */
export const clipRule: OpRule = {
  backward(ctx) {
    const { b, node, gradOut, graph } = ctx;
    const dy = gradOut[0];
    if (!dy) return [];
    let lo: number | undefined;
    let hi: number | undefined;
    if (graph.opset < 11) {
      const attr = (name: string) => node.attrs.get(name)?.f;
      lo = attr('min');
      hi = attr('max');
    } else {
      for (const [i, set] of [[1, (v: number) => (lo = v)], [2, (v: number) => (hi = v)]] as const) {
        const name = node.inputs[i];
        if (!name) continue;
        const c = ctx.constant(name);
        if (!c) throw unsupported(node, 'its min/max must be constants');
        set(c.values[0]);
      }
    }
    const x = node.inputs[0];
    let mask: string | undefined;
    const and = (m: string) => (mask = mask ? b.op('And', [mask, m]) : m);
    if (lo !== undefined && lo > -Infinity) and(b.op('GreaterOrEqual', [x, b.float([lo])]));
    if (hi !== undefined && hi < Infinity) and(b.op('LessOrEqual', [x, b.float([hi])]));
    return [mask ? b.op('Where', [mask, dy, b.float([0])]) : dy];
  },
};

/**
 * The training graph is written at opset 16, where Clip's limits are inputs; before opset 11 they
 * were the attributes `min` / `max` (absent: unbounded), which a copy would carry into an invalid node.
 */
export function copyClipWithInputs(b: GraphBuilder, node: GraphNode): void {
  const limit = (name: string) => {
    const v = node.attrs.get(name)?.f;
    return v === undefined ? '' : b.float([v]);
  };
  b.opTo('Clip', [node.inputs[0], limit('min'), limit('max')], node.outputs[0]);
}

/** Round in a fake-quant chain: straight-through estimator (identity gradient). */
export const roundRule: OpRule = { backward: ({ gradOut }) => [gradOut[0]] };
export const identityRule: OpRule = { backward: ({ gradOut }) => [gradOut[0]] };

function binary(ctx: BackwardContext, da: (dy: string) => string, db: (dy: string) => string): (string | undefined)[] {
  const { b, node, gradOut, needs } = ctx;
  const dy = gradOut[0];
  if (!dy) return [];
  const out = ctx.shape(node.outputs[0]);
  return [
    needs[0] ? unbroadcast(b, da(dy), out, ctx.shape(node.inputs[0])) : undefined,
    needs[1] ? unbroadcast(b, db(dy), out, ctx.shape(node.inputs[1])) : undefined,
  ];
}

export const addRule: OpRule = { backward: (ctx) => binary(ctx, (dy) => dy, (dy) => dy) };
export const subRule: OpRule = { backward: (ctx) => binary(ctx, (dy) => dy, (dy) => ctx.b.op('Neg', [dy])) };
export const mulRule: OpRule = {
  backward: (ctx) => binary(ctx, (dy) => ctx.b.mul(dy, ctx.node.inputs[1]), (dy) => ctx.b.mul(dy, ctx.node.inputs[0])),
};
export const divRule: OpRule = {
  backward(ctx) {
    const d = ctx.node.inputs[1];
    const y = ctx.node.outputs[0];
    // d(a/d)/da = 1/d; d(a/d)/dd = -y/d.
    return binary(ctx, (dy) => ctx.b.op('Div', [dy, d]), (dy) => ctx.b.op('Neg', [ctx.b.op('Div', [ctx.b.mul(dy, y), d])]));
  },
};

/** Backward of Gemm (any transA/transB/alpha/beta) and MatMul (2-D, or N-D input times a 2-D weight). */
import { attrFloat, attrInt } from '../../graph/graph.ts';
import { unbroadcast } from './elementwise.ts';
import { unsupported, type OpRule } from './rule.ts';

export const gemmRule: OpRule = {
  backward(ctx) {
    const { b, node, gradOut, needs } = ctx;
    const dy = gradOut[0];
    if (!dy) return [];
    const [a, w, c] = node.inputs;
    const alpha = attrFloat(node, 'alpha', 1);
    const beta = attrFloat(node, 'beta', 1);
    const transA = attrInt(node, 'transA', 0);
    const transB = attrInt(node, 'transB', 0);
    const grads: (string | undefined)[] = [];
    // Y = alpha op(A) op(B) + beta C; d op(A) = alpha dY op(B)^T, d op(B) = alpha op(A)^T dY.
    if (needs[0]) {
      grads[0] = transA
        ? b.op('Gemm', [w, dy], { alpha: { float: alpha }, transA: transB, transB: 1 })
        : b.op('Gemm', [dy, w], { alpha: { float: alpha }, transB: transB ? 0 : 1 });
    }
    if (needs[1]) {
      grads[1] = transB
        ? b.op('Gemm', [dy, a], { alpha: { float: alpha }, transA: 1, transB: transA })
        : b.op('Gemm', [a, dy], { alpha: { float: alpha }, transA: transA ? 0 : 1 });
    }
    if (c && needs[2]) grads[2] = unbroadcast(b, b.scale(dy, beta), ctx.shape(node.outputs[0]), ctx.shape(c));
    return grads;
  },
};

export const matMulRule: OpRule = {
  backward(ctx) {
    const { b, node, gradOut, needs, shape } = ctx;
    const dy = gradOut[0];
    if (!dy) return [];
    const [a, w] = node.inputs;
    const wShape = shape(w);
    if (wShape.length !== 2) throw unsupported(node, 'only a 2-D second operand is supported');
    const [k, m] = wShape as number[];
    const grads: (string | undefined)[] = [];
    if (needs[0]) grads[0] = b.op('MatMul', [dy, b.transpose(w, [1, 0])]);
    if (needs[1]) {
      const rows = (x: string, width: number) => (shape(a).length === 2 ? x : b.reshape(x, [-1, width]));
      grads[1] = b.op('MatMul', [b.transpose(rows(a, k), [1, 0]), rows(dy, m)]);
    }
    return grads;
  },
};

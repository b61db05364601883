/** Backward of ops that only move values: reshapes, transposes, concatenation. */
import { attrInt, attrInts } from '../../graph/graph.ts';
import { staticDims, unsupported, type OpRule } from './rule.ts';

/** Flatten, Reshape, Squeeze, Unsqueeze: the gradient takes the input's shape back. */
export const reshapeRule: OpRule = {
  backward: ({ b, node, gradOut }) => [gradOut[0] && b.reshapeLike(gradOut[0], node.inputs[0])],
};

export const transposeRule: OpRule = {
  backward({ b, node, gradOut, shape }) {
    if (!gradOut[0]) return [];
    const rank = shape(node.inputs[0]).length;
    const perm = attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    return [b.transpose(gradOut[0], inverse)];
  },
};

export const concatRule: OpRule = {
  backward({ b, node, gradOut, needs, shape }) {
    const dy = gradOut[0];
    if (!dy) return [];
    const rank = shape(node.outputs[0]).length;
    const axis = (attrInt(node, 'axis', 1) + rank) % rank;
    if (axis === 0) throw unsupported(node, 'concatenation along the batch axis');
    let start = 0;
    return node.inputs.map((x, i) => {
      const size = staticDims(node, shape(x))[axis - 1];
      const grad = needs[i] ? b.slice(dy, [start], [start + size], [axis]) : undefined;
      start += size;
      return grad;
    });
  },
};

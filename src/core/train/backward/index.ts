import { batchNormRule } from './batchnorm.ts';
import { convRule } from './conv.ts';
import { gemmRule, matMulRule } from './dense.ts';
import { addRule, clipRule, divRule, identityRule, mulRule, reluRule, roundRule, subRule } from './elementwise.ts';
import { averagePoolRule, globalAveragePoolRule, maxPoolRule } from './pool.ts';
import type { OpRule } from './rule.ts';
import { concatRule, reshapeRule, transposeRule } from './shape-ops.ts';

export type { OpRule } from './rule.ts';

/** The ops a training graph can differentiate, one rule each. */
export const OP_RULES: Record<string, OpRule> = {
  Conv: convRule,
  BatchNormalization: batchNormRule,
  Relu: reluRule,
  Clip: clipRule,
  Round: roundRule,
  Identity: identityRule,
  Dropout: identityRule,
  Add: addRule,
  Sub: subRule,
  Mul: mulRule,
  Div: divRule,
  Concat: concatRule,
  Flatten: reshapeRule,
  Reshape: reshapeRule,
  Squeeze: reshapeRule,
  Unsqueeze: reshapeRule,
  Transpose: transposeRule,
  GlobalAveragePool: globalAveragePoolRule,
  AveragePool: averagePoolRule,
  MaxPool: maxPoolRule,
  Gemm: gemmRule,
  MatMul: matMulRule,
};

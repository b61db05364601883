import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema } from 'onnx-buf';
import { buildModel, node, tensorInfo } from '../src/core/onnx/builder.ts';
import { encodeModel } from '../src/core/onnx/model.ts';
import { DataType } from '../src/core/onnx/tensor.ts';

/**
 * The issue's ~100-byte ONNX file: a Conv weight stored in float_data with dims 10^5 x 10^5 x 10^5
 * and three values. Before the limits, decoding it allocated product(dims) floats (tens of GB).
 */
export function hostileFloatDataModel(): Uint8Array {
  const w = create(TensorProtoSchema, { name: 'w', dataType: DataType.FLOAT, dims: [100_000n, 100_000n, 100_000n], floatData: [1, 2, 3] });
  return encodeModel(
    buildModel({ nodes: [node('Conv', ['x', 'w'], ['y'], {}, 'c')], initializers: [w], inputs: [tensorInfo('x', [1, 1, 8, 8])], outputs: [tensorInfo('y')] }),
  );
}

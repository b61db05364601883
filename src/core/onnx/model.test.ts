import { create } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-web';
import { TensorProto_DataLocation, StringStringEntryProtoSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, KWS, ULTRAFACE, defaultModelMissing, readBytes, thirdPartyMissing } from '../../../test/fixtures.ts';
import { EdgefoldError } from '../errors.ts';
import { buildModel, node, tensorInfo } from './builder.ts';
import { decodeModel, encodeModel, modelsEqual } from './model.ts';
import { floatTensor, tensorValues } from './tensor.ts';

const realModels = [
  { name: 'KWS DS-CNN (tf2onnx, opset 13)', path: KWS, skip: thirdPartyMissing },
  { name: 'UltraFace slim (opset 9, IR 4)', path: ULTRAFACE, skip: thirdPartyMissing },
  { name: 'default DS-CNN', path: DEFAULT_MODEL, skip: defaultModelMissing },
];

async function runOnRandomInput(bytes: Uint8Array, seed = 1): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const meta = session.inputMetadata[0];
  const dims = (meta.isTensor ? meta.shape : []).map((d) => (typeof d === 'number' ? d : 1));
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    data[i] = s / 2 ** 31 - 0.5;
  }
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, dims) });
  await session.release();
  return session.outputNames.map((n) => out[n].data as Float32Array);
}

describe('ONNX decode/encode round trip', () => {
  for (const m of realModels) {
    it.skipIf(m.skip)(`${m.name}: decode -> encode -> decode is equal and byte-identical`, () => {
      const bytes = readBytes(m.path);
      const model = decodeModel(bytes);
      const encoded = encodeModel(model);
      expect(modelsEqual(decodeModel(encoded), model)).toBe(true);
      expect(Buffer.from(encoded).equals(Buffer.from(bytes))).toBe(true);
    });

    it.skipIf(m.skip)(`${m.name}: onnxruntime gives identical outputs for original and re-encoded file`, async () => {
      const bytes = readBytes(m.path);
      const reencoded = encodeModel(decodeModel(bytes));
      const [a, b] = await Promise.all([runOnRandomInput(bytes), runOnRandomInput(reencoded)]);
      expect(a.length).toBeGreaterThan(0);
      a.forEach((out, i) => expect(Array.from(b[i])).toEqual(Array.from(out)));
    });
  }

  it('keeps fields it does not model (metadata) through a round trip', () => {
    const model = buildModel({
      nodes: [node('Relu', ['x'], ['y'])],
      inputs: [tensorInfo('x', [1, 2])],
      outputs: [tensorInfo('y', [1, 2])],
    });
    model.metadataProps.push(create(StringStringEntryProtoSchema, { key: 'author', value: 'edgefold tests' }));
    const back = decodeModel(encodeModel(model));
    expect(back.metadataProps[0].value).toBe('edgefold tests');
    expect(modelsEqual(back, model)).toBe(true);
  });
});

describe('tensor storage', () => {
  it('reads raw_data and typed float_data the same', () => {
    const raw = floatTensor('w', [2, 2], [1, -2, 3.5, 4]);
    const typed = floatTensor('w', [2, 2], [0, 0, 0, 0]);
    typed.rawData = new Uint8Array();
    typed.floatData = [1, -2, 3.5, 4];
    expect(Array.from(tensorValues(raw))).toEqual([1, -2, 3.5, 4]);
    expect(Array.from(tensorValues(typed))).toEqual([1, -2, 3.5, 4]);
  });
});

describe('bad model files', () => {
  const expectBadInput = (bytes: Uint8Array, pattern: RegExp) => {
    let caught: unknown;
    try {
      decodeModel(bytes, 'bad.onnx');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EdgefoldError);
    expect((caught as Error).message).toMatch(pattern);
  };

  it('rejects an empty file', () => expectBadInput(new Uint8Array(), /empty/));
  it('rejects text that is not protobuf', () => expectBadInput(new TextEncoder().encode('hello, I am not a model\n'), /not an ONNX model/));
  it('rejects a PNG header', () => expectBadInput(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /not an ONNX model/));
  it.skipIf(thirdPartyMissing)('rejects a truncated real model', () => {
    const bytes = readBytes(KWS);
    expectBadInput(bytes.subarray(0, Math.floor(bytes.length * 0.6)), /not an ONNX model|damaged|truncated/);
  });

  it('rejects a model that keeps weights in an external data file', () => {
    const w = floatTensor('w', [1, 1], [0]);
    w.rawData = new Uint8Array();
    w.dataLocation = TensorProto_DataLocation.EXTERNAL;
    const model = buildModel({
      nodes: [node('MatMul', ['x', 'w'], ['y'])],
      inputs: [tensorInfo('x', [1, 1])],
      outputs: [tensorInfo('y', [1, 1])],
      initializers: [w],
    });
    expectBadInput(encodeModel(model), /external data/);
  });

  it('rejects an unsupported opset with the range it supports', () => {
    const model = buildModel({ nodes: [node('Relu', ['x'], ['y'])], inputs: [tensorInfo('x', [1])], outputs: [tensorInfo('y', [1])], opset: 5 });
    expect(() => decodeModel(encodeModel(model))).toThrow(/opset 5.*supports opsets 7 to 21/);
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, KWS, ULTRAFACE, defaultModelMissing, readBytes, thirdPartyMissing } from '../../../test/fixtures.ts';
import { convReluChain } from '../../../test/chain.ts';
import { loadModel } from '../graph/index.ts';
import { openedModel } from './opened-model.ts';
import { packOpenedModel, unpackOpenedModel } from './packed-model.ts';

describe('the packed model the worker sends to the page', () => {
  const models = [
    { name: 'chain', bytes: convReluChain(20) },
    ...(defaultModelMissing ? [] : [{ name: 'default', bytes: readBytes(DEFAULT_MODEL) }]),
    ...(thirdPartyMissing ? [] : [{ name: 'UltraFace', bytes: readBytes(ULTRAFACE) }, { name: 'KWS', bytes: readBytes(KWS) }]),
  ];

  it('unpacks (after a structured clone) to exactly the opened model, layouts still shared between layers', () => {
    for (const { name, bytes } of models) {
      const opened = openedModel(loadModel(bytes, `${name}.onnx`));
      const back = unpackOpenedModel(structuredClone(packOpenedModel(opened)));
      expect(back, name).toEqual(opened);
    }
    // In the chain, conv i's output channels reach conv i + 1 through a Relu: one layout, sent once.
    const chain = unpackOpenedModel(structuredClone(packOpenedModel(openedModel(loadModel(convReluChain(5), 'chain.onnx')))));
    const { channels } = chain.context.analysis;
    expect(channels[1]!.input).toBe(channels[0]!.output);
  });

  it('refuses a truncated or padded packing instead of reading garbage', () => {
    const packed = packOpenedModel(openedModel(loadModel(convReluChain(3), 'chain.onnx')));
    expect(() => unpackOpenedModel({ ...packed, numbers: packed.numbers.subarray(0, packed.numbers.length - 1) })).toThrow(/past the end/);
    expect(() => unpackOpenedModel({ ...packed, numbers: Float64Array.from([...packed.numbers, 0]) })).toThrow(/left over/);
  });
});

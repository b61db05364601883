import { equals, fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { convReluChain } from '../../../test/chain.ts';
import { DEFAULT_MODEL, KWS, readBytes, thirdPartyMissing, thirdPartySkipReason, ULTRAFACE } from '../../../test/fixtures.ts';
import { mutateModel } from '../../../test/fuzz/mutate-model.ts';
import { mulberry32 } from '../data/random.ts';
import { encodeModel } from './model.ts';
import { fastDecodeModel, Unsupported } from './fast-decode.ts';

const reference = (bytes: Uint8Array): ModelProto => fromBinary(ModelProtoSchema, bytes, { readUnknownFields: true });

/** The hand-written reader must give exactly fromBinary's message, or step aside (Unsupported). */
function sameAsReference(bytes: Uint8Array, reencode = true): 'same' | 'fallback' {
  let fast: ModelProto;
  try {
    fast = fastDecodeModel(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(Unsupported);
    return 'fallback';
  }
  const expected = reference(bytes);
  expect(equals(ModelProtoSchema, fast, expected)).toBe(true);
  // Same bytes back: which optional fields are set (proto2 presence) matches too.
  if (reencode) expect(Buffer.from(encodeModel(fast)).equals(Buffer.from(encodeModel(expected)))).toBe(true);
  return 'same';
}

describe('hand-written ONNX reader', () => {
  it('decodes the default model exactly as fromBinary does', () => {
    expect(sameAsReference(readBytes(DEFAULT_MODEL))).toBe('same');
  });

  it('decodes a Conv + Relu chain exactly as fromBinary does', () => {
    expect(sameAsReference(convReluChain(200))).toBe('same');
  });

  it.skipIf(thirdPartyMissing)(`decodes the third-party fixtures exactly as fromBinary does${thirdPartyMissing ? ` (skipped: ${thirdPartySkipReason})` : ''}`, () => {
    expect(sameAsReference(readBytes(KWS))).toBe('same');
    expect(sameAsReference(readBytes(ULTRAFACE))).toBe('same');
  });

  it('steps aside for unknown fields instead of dropping them', () => {
    const bytes = readBytes(DEFAULT_MODEL);
    // Field 99, varint 1, appended at the top level: fromBinary keeps it as an unknown field.
    const withUnknown = new Uint8Array([...bytes, (99 << 3) & 0x7f | 0x80, 99 >> 4, 1]);
    expect(sameAsReference(withUnknown)).toBe('fallback');
    expect(reference(withUnknown).$unknown?.length).toBe(1);
  });

  it('matches fromBinary or steps aside on 600 mutated files (byte-level and structured)', { timeout: 120_000 }, () => {
    // The default model and the small third-party one (UltraFace is 30x larger and adds only time).
    const seeds = [readBytes(DEFAULT_MODEL), ...(thirdPartyMissing ? [] : [readBytes(KWS)])].map((bytes) => ({ bytes, model: reference(bytes) }));
    const counts = { same: 0, fallback: 0 };
    const random = mulberry32(16);
    for (let i = 0; i < 600; i++) {
      const seed = seeds[i % seeds.length];
      const { bytes } = mutateModel(seed.bytes, seed.model, random);
      counts[sameAsReference(bytes, false)]++;
    }
    // Both paths must be exercised, or the comparison proves little.
    expect(counts.same).toBeGreaterThan(200);
    expect(counts.fallback).toBeGreaterThan(50);
  });
});

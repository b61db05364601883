import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Third-party models live beside the checkout in ../shared/fixtures/third_party (never copied in);
 * EDGEFOLD_THIRD_PARTY_DIR points there from a copy elsewhere (Stryker's sandbox). */
export const thirdPartyDir = process.env.EDGEFOLD_THIRD_PARTY_DIR || resolve(import.meta.dirname, '../../shared/fixtures/third_party');
export const KWS = resolve(thirdPartyDir, 'mlperf-tiny-kws-dscnn-float32.onnx');
export const ULTRAFACE = resolve(thirdPartyDir, 'ultraface-slim-320.onnx');
export const thirdPartyMissing = !existsSync(KWS) || !existsSync(ULTRAFACE);
export const thirdPartySkipReason = `third-party fixtures not found at ${thirdPartyDir}`;

export const DEFAULT_MODEL = resolve(import.meta.dirname, '../public/models/dscnn-fmnist.onnx');
export const DATA_MANIFEST = resolve(import.meta.dirname, '../public/data/fmnist.json');
export const defaultModelMissing = !existsSync(DEFAULT_MODEL) || !existsSync(DATA_MANIFEST);
export const dataMissing = !existsSync(DATA_MANIFEST);

export const readBytes = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

if (thirdPartyMissing) console.warn(`[edgefold tests] skipping third-party model tests: ${thirdPartySkipReason}`);

/** Content hashes for cache keys: SHA-256 of model bytes and of the evaluated images. */
import type { Dataset } from '../eval/dataset.ts';

/** SHA-256 (hex) of byte chunks, with Web Crypto (browsers, workers, Node >= 20). */
export async function sha256Hex(...chunks: Uint8Array[]): Promise<string> {
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  const digest = await globalThis.crypto.subtle.digest('SHA-256', all);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Hash of what an evaluation sees: the first n images and labels, their preprocessing and class count. */
export function datasetHash(data: Dataset, n: number): Promise<string> {
  const [c, h, w] = data.shape;
  const meta = new TextEncoder().encode(JSON.stringify({ n, shape: data.shape, pre: data.preprocessing, classes: data.classes.length }));
  return sha256Hex(meta, data.pixels.subarray(0, n * c * h * w), data.labels.subarray(0, n));
}

/** A short synchronous string hash (two 32-bit FNV-1a lanes), for file names. */
export function shortHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193) >>> 0;
    b = Math.imul(b ^ ch, 0x5bd1e995) >>> 0;
    b = (b ^ (b >>> 13)) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/**
 * Content-addressed blobs in Redis: a job names its model and data by sha256, never by path. The
 * client uploads each blob once, in chunks; a worker refuses a blob larger than the limit of its
 * kind before downloading it, verifies the hash, and keeps a size-limited disk cache.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { badInput } from '../../core/errors.ts';
import type { Dataset } from '../../core/eval/dataset.ts';
import { formatBytes, LIMITS } from '../../core/limits.ts';
import { KEY_PREFIX } from './connection.ts';

export type BlobKind = 'model' | 'dataset';

/** A dataset blob holds at most this many pixel bytes (the per-array limit of local files) plus labels and header. */
const DATASET_HEADER_BYTES = 1 << 20;
export const BLOB_LIMITS: Record<BlobKind, number> = {
  model: LIMITS.model.fileBytes,
  dataset: LIMITS.data.arrayElements + LIMITS.data.images + DATASET_HEADER_BYTES,
};
/** Chunk size: well under Redis's 512 MB string limit, small enough to keep memory spikes short. */
export const CHUNK_BYTES = 4 << 20;
/** Blobs expire a day after their last upload or use, so an abandoned sweep does not fill Redis. */
export const BLOB_TTL_SECONDS = 24 * 3600;

const metaKey = (sha: string) => `${KEY_PREFIX}:blob:${sha}`;
const chunkKey = (sha: string, i: number) => `${KEY_PREFIX}:blob:${sha}:${i}`;

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Uploads a blob unless Redis already holds it; returns its hash. The meta key is written last, so a half-uploaded blob is never seen. */
export async function uploadBlob(redis: Redis, bytes: Uint8Array, kind: BlobKind): Promise<string> {
  if (bytes.byteLength > BLOB_LIMITS[kind]) throw badInput(`The ${kind} is ${formatBytes(bytes.byteLength)}; the queue takes ${kind}s up to ${formatBytes(BLOB_LIMITS[kind])}.`, kind);
  const sha = sha256(bytes);
  const chunks = Math.ceil(bytes.byteLength / CHUNK_BYTES);
  const meta = await redis.hgetall(metaKey(sha));
  const known = Number(meta.size) === bytes.byteLength && Number(meta.chunks) === chunks;
  const keys = [metaKey(sha), ...Array.from({ length: chunks }, (_, i) => chunkKey(sha, i))];
  if (known && (await redis.exists(...keys)) === keys.length) {
    await Promise.all(keys.map((k) => redis.expire(k, BLOB_TTL_SECONDS)));
    return sha;
  }
  for (let i = 0; i < chunks; i++) {
    const part = bytes.subarray(i * CHUNK_BYTES, Math.min(bytes.byteLength, (i + 1) * CHUNK_BYTES));
    await redis.set(chunkKey(sha, i), Buffer.from(part.buffer, part.byteOffset, part.byteLength), 'EX', BLOB_TTL_SECONDS);
  }
  await redis.hset(metaKey(sha), { size: bytes.byteLength, chunks, kind });
  await redis.expire(metaKey(sha), BLOB_TTL_SECONDS);
  return sha;
}

/** A directory of verified blobs named by hash; the least recently used go first when it is over its size. */
export class BlobDiskCache {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  async get(sha: string): Promise<Uint8Array | undefined> {
    const file = join(this.dir, sha);
    try {
      const bytes = new Uint8Array(await readFile(file));
      if (sha256(bytes) !== sha) {
        await unlink(file).catch(() => {});
        return undefined;
      }
      const now = new Date();
      await utimes(file, now, now).catch(() => {});
      return bytes;
    } catch {
      return undefined;
    }
  }

  async set(sha: string, bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength > this.maxBytes) return;
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, sha);
    await writeFile(`${file}.tmp`, bytes);
    await rename(`${file}.tmp`, file);
    await this.trim();
  }

  private async trim(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => /^[0-9a-f]{64}$/.test(n));
    const files = await Promise.all(names.map(async (n) => ({ n, s: await stat(join(this.dir, n)).catch(() => undefined) })));
    const present = files.filter((f) => f.s).sort((a, b) => b.s!.mtimeMs - a.s!.mtimeMs);
    let total = 0;
    for (const f of present) {
      total += f.s!.size;
      if (total > this.maxBytes) await unlink(join(this.dir, f.n)).catch(() => {});
    }
  }
}

export const defaultBlobCacheDir = (): string => resolve(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'edgefold', 'blobs');

/**
 * Fetches a blob by hash: the disk cache first, else Redis. Refuses before downloading when the
 * stored size is over the limit of `kind`, and after downloading when the bytes do not hash to `sha`.
 */
export async function fetchBlob(redis: Redis, sha: string, kind: BlobKind, cache?: BlobDiskCache): Promise<Uint8Array> {
  const cached = await cache?.get(sha);
  if (cached) return cached;
  const meta = await redis.hgetall(metaKey(sha));
  const size = Number(meta.size);
  const chunks = Number(meta.chunks);
  if (!meta.size) throw badInput(`The ${kind} blob ${sha.slice(0, 12)}... is not in Redis (expired, or never uploaded).`, kind);
  if (!Number.isSafeInteger(size) || size < 0 || size > BLOB_LIMITS[kind]) {
    throw badInput(`The ${kind} blob ${sha.slice(0, 12)}... claims ${meta.size} bytes; workers take ${kind}s up to ${formatBytes(BLOB_LIMITS[kind])}. Not downloaded.`, kind);
  }
  if (chunks !== Math.ceil(size / CHUNK_BYTES)) throw badInput(`The ${kind} blob ${sha.slice(0, 12)}... has ${meta.chunks} chunks for ${size} bytes.`, kind);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (let i = 0; i < chunks; i++) {
    // STRLEN first: a chunk larger than promised is refused before it is read.
    const length = await redis.strlen(chunkKey(sha, i));
    if (offset + length > size) throw badInput(`The ${kind} blob ${sha.slice(0, 12)}... holds more bytes than its ${size} promised.`, kind);
    const part = await redis.getBuffer(chunkKey(sha, i));
    if (!part || part.byteLength !== length) throw badInput(`The ${kind} blob ${sha.slice(0, 12)}... lost chunk ${i} (expired?).`, kind);
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  if (offset !== size || sha256(bytes) !== sha) throw badInput(`The ${kind} blob does not hash to ${sha.slice(0, 12)}...: refused.`, kind);
  await Promise.all([metaKey(sha), ...Array.from({ length: chunks }, (_, i) => chunkKey(sha, i))].map((k) => redis.expire(k, BLOB_TTL_SECONDS)));
  await cache?.set(sha, bytes);
  return bytes;
}

// ---- datasets as bytes ------------------------------------------------------------------------

const MAGIC = 'EFDATA1\n';

/** A dataset's first `count` images as one blob: magic, header length, JSON header, pixels, labels. */
export function encodeDataset(data: Dataset, count = data.count): Uint8Array {
  const n = Math.min(count, data.count);
  const [c, h, w] = data.shape;
  const header = new TextEncoder().encode(
    JSON.stringify({ name: data.name, split: data.split, count: n, shape: data.shape, classes: data.classes, preprocessing: data.preprocessing }),
  );
  const pixels = data.pixels.subarray(0, n * c * h * w);
  const out = new Uint8Array(MAGIC.length + 4 + header.byteLength + pixels.byteLength + n);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.byteLength, false);
  let at = MAGIC.length + 4;
  out.set(header, at);
  at += header.byteLength;
  out.set(pixels, at);
  out.set(data.labels.subarray(0, n), at + pixels.byteLength);
  return out;
}

/** Reads a dataset blob, checking it as a local dataset is checked (docs/limits.md). */
export function decodeDataset(bytes: Uint8Array): Dataset {
  const fail = (why: string) => badInput(`The dataset blob is malformed: ${why}.`, 'dataset');
  if (bytes.byteLength < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw fail('bad magic');
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, false);
  if (headerBytes > DATASET_HEADER_BYTES || MAGIC.length + 4 + headerBytes > bytes.byteLength) throw fail('header too long');
  let header: Omit<Dataset, 'pixels' | 'labels'>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerBytes)));
  } catch {
    throw fail('header is not JSON');
  }
  const { name, split, count, shape, classes, preprocessing } = header ?? ({} as typeof header);
  const side = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= LIMITS.data.imageSide;
  if (typeof name !== 'string' || typeof split !== 'string' || name.length > LIMITS.config.stringChars || split.length > LIMITS.config.stringChars) throw fail('name and split must be short strings');
  if (!Number.isInteger(count) || count < 1 || count > LIMITS.data.images) throw fail(`count must be 1 to ${LIMITS.data.images}`);
  if (!Array.isArray(shape) || shape.length !== 3 || ![1, 3].includes(shape[0]) || !side(shape[1]) || !side(shape[2]) || shape[1] * shape[2] > LIMITS.data.imagePixels) throw fail('shape must be [C, H, W]');
  if (!Array.isArray(classes) || classes.length < 2 || classes.length > LIMITS.data.stringElements || !classes.every((x) => typeof x === 'string' && x.length <= LIMITS.data.stringChars)) throw fail('classes must be 2 or more names');
  const p = preprocessing;
  const numbers = (a: unknown) => Array.isArray(a) && a.length === shape[0] && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!p || typeof p.scale !== 'number' || !numbers(p.mean) || !numbers(p.std)) throw fail('preprocessing must have scale, mean[] and std[] per channel');
  const pixelCount = count * shape[0] * shape[1] * shape[2];
  if (pixelCount > LIMITS.data.arrayElements) throw fail('too many pixels');
  const start = MAGIC.length + 4 + headerBytes;
  if (bytes.byteLength !== start + pixelCount + count) throw fail(`it holds ${bytes.byteLength - start} data bytes, its header promises ${pixelCount + count}`);
  const labels = bytes.subarray(start + pixelCount, start + pixelCount + count);
  if (labels.some((l) => l >= classes.length)) throw fail('a label is out of range');
  return { name, split, count, shape, classes, preprocessing: { scale: p.scale, mean: p.mean, std: p.std }, pixels: bytes.subarray(start, start + pixelCount), labels };
}

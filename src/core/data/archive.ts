/**
 * Bounded decompression of untrusted archives (zip, npz, gzip). The sizes an archive declares
 * (zip central directory, gzip trailer) are checked against the limit before anything is
 * inflated (LIMITS.data.decompressedBytes, shared by all entries of one archive); since they can
 * lie, output is also counted while it is produced (input goes to fflate's streaming inflater in
 * small slices) and inflating stops as soon as an entry passes its declared size.
 */
import { Gunzip, Inflate } from 'fflate';
import { badInput, EdgefoldError } from '../errors.ts';
import { clip, formatBytes, LIMITS, quote } from '../limits.ts';

/** Input slice per push: deflate expands at most ~1032:1, so one push adds at most ~4 MiB past the limit. */
const SLICE = 4096;

interface Budget {
  left: number;
  readonly limit: number;
  readonly fileName: string;
}

const newBudget = (fileName: string, limit: number = LIMITS.data.decompressedBytes): Budget => ({ left: limit, limit, fileName });

function tooLarge(budget: Budget): EdgefoldError {
  return badInput(
    `${budget.fileName} decompresses to more than ${formatBytes(budget.limit)}, the limit per archive (docs/limits.md), by the sizes it declares; nothing was inflated.`,
    budget.fileName,
  );
}

/** Takes a declared size from the budget, refusing before any inflating when it does not fit. */
function reserve(budget: Budget, declared: number): void {
  if (declared > budget.left) throw tooLarge(budget);
  budget.left -= declared;
}

/** Streams `input` through a fflate inflater; output past `declared` bytes stops it (the header lied). */
function streamBounded(input: Uint8Array, declared: number, budget: Budget, make: (ondata: (chunk: Uint8Array, final: boolean) => void) => Inflate | Gunzip, what: string): Uint8Array {
  // Written straight into a buffer of the declared size: no second copy, and untouched pages of a
  // size that was a lie cost no memory.
  const out = new Uint8Array(declared);
  let total = 0;
  let over = false;
  let done = false;
  const stream = make((chunk, final) => {
    if (total + chunk.length > declared) over = true;
    else out.set(chunk, total);
    total += chunk.length;
    if (final) done = true;
  });
  try {
    for (let i = 0; i < input.length && !over && !done; i += SLICE) {
      const end = Math.min(input.length, i + SLICE);
      stream.push(input.subarray(i, end), end === input.length);
    }
  } catch (error) {
    throw badInput(`${what}: compressed data is damaged (${clip((error as Error).message)}).`, budget.fileName);
  }
  if (over) throw badInput(`${what} is damaged: it inflates past the ${declared.toLocaleString('en-US')} bytes its header declares (stopped there).`, budget.fileName);
  if (!done) throw badInput(`${what}: compressed data ends early (the file is truncated).`, budget.fileName);
  return total === declared ? out : out.subarray(0, total);
}

/** Gunzips `bytes`, stopping at the decompressed-size limit. */
export function gunzipBounded(bytes: Uint8Array, fileName: string, limit: number = LIMITS.data.decompressedBytes): Uint8Array {
  if (bytes.length < 18) throw badInput(`${fileName}: gzip data is damaged (shorter than a gzip header and trailer).`, fileName);
  // The trailer's ISIZE is the size modulo 4 GiB: a larger file wraps, which the running count catches.
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
  const budget = newBudget(fileName, limit);
  reserve(budget, declared);
  return streamBounded(bytes, declared, budget, (ondata) => new Gunzip(ondata), fileName);
}

export interface ZipEntries {
  /** File entries by path, in central-directory order. */
  files: Map<string, Uint8Array>;
  /** Directory entries (paths ending in "/"). */
  directories: string[];
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * Reads a zip from its central directory: stored and deflated entries, no encryption, no zip64
 * (larger than 4 GiB archives are over the limits anyway). Entry count and total decompressed
 * size are bounded before and while inflating.
 */
export function unzipBounded(bytes: Uint8Array, fileName: string, kind = 'zip file', limit: number = LIMITS.data.decompressedBytes): ZipEntries {
  const fail = (why: string) => badInput(`${fileName} is not a readable ${kind}: ${why}.`, fileName);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw fail('no end-of-central-directory record (truncated, or not a zip)');
  const count = view.getUint16(eocd + 10, true);
  const dirSize = view.getUint32(eocd + 12, true);
  const dirStart = view.getUint32(eocd + 16, true);
  if (count === 0xffff || dirStart === 0xffffffff) throw fail('it is a zip64 archive, which edgefold does not read');
  if (count > LIMITS.data.archiveEntries) throw badInput(`${fileName} has ${count} entries; the limit is ${LIMITS.data.archiveEntries.toLocaleString('en-US')} (docs/limits.md).`, fileName);
  if (dirStart + dirSize > eocd) throw fail('its central directory points outside the file');
  const budget = newBudget(fileName, limit);
  const files = new Map<string, Uint8Array>();
  const directories: string[] = [];
  const decoder = new TextDecoder();
  let at = dirStart;
  for (let n = 0; n < count; n++) {
    if (at + 46 > eocd || view.getUint32(at, true) !== CENTRAL) throw fail(`central directory entry ${n} is damaged`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    if (at + 46 + nameLength > eocd) throw fail(`central directory entry ${n} is damaged`);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) {
      directories.push(name);
      continue;
    }
    if (flags & 1) throw fail(`entry ${quote(name, 80)} is encrypted`);
    if (localOffset + 30 > bytes.length || view.getUint32(localOffset, true) !== LOCAL) throw fail(`entry ${quote(name, 80)} has no local header`);
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compressedSize > bytes.length) throw fail(`entry ${quote(name, 80)} runs past the end of the file (truncated)`);
    const compressed = bytes.subarray(dataStart, dataStart + compressedSize);
    let content: Uint8Array;
    if (method === 0) {
      reserve(budget, compressed.length);
      content = compressed;
    } else if (method === 8) {
      reserve(budget, size);
      content = streamBounded(compressed, size, budget, (ondata) => new Inflate(ondata), `${fileName}:${clip(name, 80)}`);
    } else {
      throw fail(`entry ${quote(name, 80)} uses compression method ${method} (only stored and deflate are read)`);
    }
    files.set(name, content);
  }
  return { files, directories };
}

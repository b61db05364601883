/**
 * Limits on untrusted input: every model, dataset and config reader checks these BEFORE it
 * allocates, and refuses with a message naming the file, the field and the limit.
 * docs/limits.md lists them for users; change both together.
 */
import { badInput } from './errors.ts';

const MiB = 2 ** 20;

export const LIMITS = {
  model: {
    /** Size of an .onnx file. */
    fileBytes: 512 * MiB,
    /** Elements of one stored tensor (initializer, Constant value, sparse values). */
    tensorElements: 2 ** 26,
    /** Elements of all stored tensors together. */
    totalElements: 2 ** 27,
    /** Dimensions of one tensor or shape. */
    rank: 16,
    /** Largest single dimension (stored tensors and declared shapes). */
    dim: 2 ** 31,
    /** Nodes over the model, subgraphs included. */
    nodes: 1_000_000,
    /** Nesting depth of subgraphs (If / Loop / Scan bodies). */
    graphDepth: 8,
    /** Characters of a node, tensor or graph name. */
    nameChars: 4096,
    /** Elements of an activation tensor (its inferred shape). */
    activationElements: 2 ** 32,
  },
  data: {
    /** Decompressed bytes of one archive (zip, npz, gzip IDX), all entries together. */
    decompressedBytes: 512 * MiB,
    /** Entries in one zip. */
    archiveEntries: 500_000,
    /** Images in one dataset. */
    images: 500_000,
    /** Width and height of one image. */
    imageSide: 16_384,
    /** Width x height of one image. */
    imagePixels: 4096 * 4096,
    /** Elements of one .npy / IDX array. */
    arrayElements: 2 ** 28,
    /** Bytes one decoded array may take in memory (float64 values count 8 bytes each). */
    arrayBytes: 2 ** 30,
    /** Characters of one fixed-width string element of an .npy. */
    stringChars: 1024,
    /** Elements of a string array (class names). */
    stringElements: 100_000,
    /** Bytes of an .npy header. */
    npyHeaderBytes: 65_536,
  },
  config: {
    /** Size of a JSON config, manifest, device file or sweep result. */
    fileBytes: 16 * MiB,
    /** Nesting depth of a JSON value. */
    depth: 32,
    /** Keys of one object or elements of one array. */
    entries: 200_000,
    /** Characters of one string or key. */
    stringChars: 4096,
    /** Characters of user input quoted in an error message. */
    quotedChars: 200,
  },
  /** Numeric ranges of settings (configs, CLI options, UI fields). */
  range: {
    clockMHz: { min: 1, max: 2000 },
    budget: { min: 0.01, max: 1 },
    roundTo: { min: 1, max: 4096 },
    foldFactor: { min: 1, max: 65_536 },
    targetFps: { min: 1e-6, max: 1e9 },
  },
} as const;

/** Cuts text from user input to `max` characters for a message, saying how long it was. */
export function clip(text: string, max: number = LIMITS.config.quotedChars): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length.toLocaleString('en-US')} characters)` : text;
}

/** Shows user input in a message as JSON (strings in quotes), cut to `max` characters. */
export function quote(value: unknown, max: number = LIMITS.config.quotedChars): string {
  let text: string;
  if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return clip(text, max);
}

/**
 * Product of dims, stopping as soon as it passes `limit` (returns Infinity then), so a file
 * cannot make the check itself overflow. Negative or non-integer dims return NaN.
 */
export function boundedProduct(dims: readonly (number | bigint)[], limit: number): number {
  let n = 1;
  for (const raw of dims) {
    const d = Number(raw);
    if (!Number.isSafeInteger(d) || d < 0) return NaN;
    n *= d;
    if (n > limit) return Infinity;
  }
  return n;
}

export interface NumberRange {
  min: number;
  max: number;
}

/** A finite number in [min, max] (integer when asked), or a bad-input error naming the field and the range. */
export function checkNumber(value: unknown, field: string, range: NumberRange, options: { integer?: boolean; what?: string } = {}): number {
  const n = typeof value === 'number' ? value : NaN;
  const ok = Number.isFinite(n) && n >= range.min && n <= range.max && (!options.integer || Number.isInteger(n));
  if (!ok) {
    const kind = options.integer ? 'an integer' : 'a number';
    throw badInput(`${field} must be ${kind} from ${range.min} to ${range.max}${options.what ? ` (${options.what})` : ''}, got ${quote(value)}.`, field);
  }
  return n;
}

/** Refuses a file before reading it when it is larger than `limit` bytes. */
export function checkFileSize(size: number, limit: number, what: string): void {
  if (size > limit) {
    throw badInput(`${what} is ${formatBytes(size)}; edgefold reads files up to ${formatBytes(limit)} (docs/limits.md).`, what);
  }
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(n % 2 ** 30 ? 1 : 0)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(n % MiB ? 1 : 0)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Keys that would reach an object's prototype when copied with `out[key] = ...`. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses JSON text from an untrusted file: size first, then depth, entry counts, string lengths,
 * finite numbers (JSON's 1e400 is Infinity) and no prototype keys, so no later reader has to.
 */
export function parseJsonText(text: string, what: string): unknown {
  const limits = LIMITS.config;
  if (text.length > limits.fileBytes) checkFileSize(text.length, limits.fileBytes, what);
  prescanJson(text, what);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badInput(`${what} is not valid JSON: ${quote((error as Error).message)}.`, what);
  }
  checkJsonValue(value, what);
  return value;
}

/**
 * One pass over the text before JSON.parse, which would otherwise spend seconds building a
 * million-key object only to have it refused: nesting depth, entries per container and string
 * lengths. Malformed text is left for JSON.parse to describe.
 */
function prescanJson(text: string, what: string): void {
  const { depth: maxDepth, entries: maxEntries, stringChars } = LIMITS.config;
  const counts: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip to its closing quote, minding escapes
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      if (i - start - 1 > stringChars) {
        throw badInput(`${what} holds a string of ${(i - start - 1).toLocaleString('en-US')} characters (${quote(text.slice(start + 1, start + 41), 40)}…); the limit is ${stringChars}.`, what);
      }
    } else if (c === 0x7b || c === 0x5b) {
      counts.push(1);
      if (counts.length > maxDepth) throw badInput(`${what} is nested deeper than ${maxDepth} levels.`, what);
    } else if (c === 0x7d || c === 0x5d) {
      counts.pop();
    } else if (c === 0x2c && counts.length) {
      if (++counts[counts.length - 1] > maxEntries) {
        throw badInput(`${what} has an object or array of more than ${maxEntries.toLocaleString('en-US')} entries, the limit (docs/limits.md).`, what);
      }
    }
  }
}

/** The structural checks of parseJsonText, for a value that was already parsed. */
export function checkJsonValue(root: unknown, what: string): void {
  const limits = LIMITS.config;
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: '', depth: 0 }];
  const at = (path: string) => (path ? `${what}: ${quote(path)}` : what);
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw badInput(`${at(path)} is a number too large to represent (it reads as ${value}).`, path || what);
    } else if (typeof value === 'string') {
      if (value.length > limits.stringChars) throw badInput(`${at(path)} is a string of ${value.length.toLocaleString('en-US')} characters; the limit is ${limits.stringChars}.`, path || what);
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= limits.depth) throw badInput(`${at(path)} is nested deeper than ${limits.depth} levels.`, path || what);
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      if (entries.length > limits.entries) {
        throw badInput(`${at(path)} has ${entries.length.toLocaleString('en-US')} entries; the limit is ${limits.entries.toLocaleString('en-US')}.`, path || what);
      }
      for (const [key, child] of entries) {
        if (!Array.isArray(value)) {
          if (FORBIDDEN_KEYS.has(key)) throw badInput(`${at(path)} has a key named "${key}", which edgefold refuses (it is not a layer or setting name).`, path || what);
          if (key.length > limits.stringChars) throw badInput(`${at(path)} has a key of ${key.length.toLocaleString('en-US')} characters; the limit is ${limits.stringChars}.`, path || what);
        }
        stack.push({ value: child, path: path ? `${path}.${key}` : key, depth: depth + 1 });
      }
    }
  }
}

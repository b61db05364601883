import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { badInput, EdgefoldError } from '../core/errors.ts';
import { checkFileSize, clip, LIMITS, parseJsonText, quote } from '../core/limits.ts';
import { loadModel, type LoadedModel } from '../core/graph/index.ts';
import { loadDataset, validateManifest, type Dataset } from '../core/eval/dataset.ts';

/** The repository root (where public/ lives), found from this file's location. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const bundledManifestPath = resolve(projectRoot, 'public/data/fmnist.json');
export const defaultModelPath = resolve(projectRoot, 'public/models/dscnn-fmnist.onnx');

/** Why a file operation failed, in words (the errno code when it has no better name). */
function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
    ENAMETOOLONG: 'the path is too long',
  };
  return (code && known[code]) || clip((error as Error).message);
}

/** Reads a file, refusing it before reading when it is over `limit` bytes. */
export async function readInputFile(path: string | undefined, what: string, limit: number = LIMITS.model.fileBytes): Promise<Uint8Array> {
  if (!path) throw badInput(`missing ${what} path.`, what);
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    checkFileSize(info.size, limit, `${what} ${quote(path)}`);
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if (error instanceof EdgefoldError) throw error;
    throw badInput(`cannot read ${what} ${quote(path)}: ${fileProblem(error)}.`, what);
  }
}

/** Checks before any long work that `path` can be written: its folder exists and it is not itself a folder. */
export async function checkOutputPath(path: string | undefined, what = 'output'): Promise<void> {
  if (!path) return;
  const fail = (why: string) => badInput(`cannot write ${what} ${quote(path)}: ${why}.`, what);
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory()) throw fail('it is a directory');
  const folder = await stat(dirname(resolve(path))).catch((error: unknown) => {
    throw fail(fileProblem(error));
  });
  if (!folder.isDirectory()) throw fail('a part of the path is not a directory');
}

/**
 * Checks before any long work that `path` can take a generated directory: it is a new path in an
 * existing folder, or an empty directory (nothing of the user's is overwritten).
 */
export async function checkOutputDirectory(path: string | undefined, what = 'output directory'): Promise<void> {
  if (!path) return;
  const fail = (why: string) => badInput(`cannot write ${what} ${quote(path)}: ${why}.`, what);
  const target = await stat(path).catch(() => undefined);
  if (target) {
    if (!target.isDirectory()) throw fail('it is a file');
    if ((await readdir(path)).length > 0) throw fail('it is not empty (choose a new or empty directory)');
    return;
  }
  const folder = await stat(dirname(resolve(path))).catch((error: unknown) => {
    throw fail(fileProblem(error));
  });
  if (!folder.isDirectory()) throw fail('a part of the path is not a directory');
}

/** Writes an output file; a missing folder, a directory or a read-only path is bad input (exit 2), not an internal error. */
export async function writeOutputFile(path: string, data: string | Uint8Array, what = 'output'): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (error) {
    throw badInput(`cannot write ${what} ${quote(path)}: ${fileProblem(error)}.`, what);
  }
}

export async function readModelArg(path: string | undefined): Promise<{ bytes: Uint8Array; loaded: LoadedModel }> {
  const bytes = await readInputFile(path, 'model');
  return { bytes, loaded: loadModel(bytes, path!.split(/[\\/]/).pop()) };
}

export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const bytes = await readInputFile(path, what, LIMITS.config.fileBytes);
  return parseJsonText(new TextDecoder().decode(bytes), `${what} ${quote(path)}`);
}

/**
 * Reads a JSON file and checks it with `parse`; a refusal that does not already say which file
 * it is about gets the file named in front (`config "x.json": hardware.clockMHz must be ...`).
 */
export async function readCheckedJsonFile<T>(path: string, what: string, parse: (json: unknown) => T): Promise<T> {
  const json = await readJsonFile(path, what);
  try {
    return parse(json);
  } catch (error) {
    if (error instanceof EdgefoldError && !error.message.includes(path)) {
      const message = error.message.startsWith(`${what} `) ? error.message.slice(what.length + 1) : error.message;
      throw new EdgefoldError(error.code, `${what} ${quote(path)}: ${message}`, error.field);
    }
    throw error;
  }
}

/** Loads a dataset split from a manifest file (the bundled Fashion-MNIST test set by default). */
export async function readDataset(manifestPath = bundledManifestPath, split = 'test'): Promise<Dataset> {
  const manifest = validateManifest(await readJsonFile(manifestPath, 'data manifest'), manifestPath);
  const base = dirname(resolve(manifestPath));
  return loadDataset(manifest, split, (relative) => readInputFile(resolve(base, relative), 'data file'));
}

/** Parses a positive integer option; undefined passes through. */
export function intOption(value: unknown, name: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw badInput(`--${name} must be an integer >= ${min}, got "${value}".`, name);
  return n;
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');
export const formatShape = (s: readonly (number | null)[]): string => `[${s.map((d) => d ?? 'N').join(',')}]`;

/** Renders rows as an aligned text table. */
export function table(header: string[], rows: string[][], rightAlign: Set<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAlign.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

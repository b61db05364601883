import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { badInput } from '../core/errors.ts';
import { loadModel, type LoadedModel } from '../core/graph/index.ts';
import { loadDataset, validateManifest, type Dataset } from '../core/eval/dataset.ts';

/** The repository root (where public/ lives), found from this file's location. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const bundledManifestPath = resolve(projectRoot, 'public/data/fmnist.json');
export const defaultModelPath = resolve(projectRoot, 'public/models/dscnn-fmnist.onnx');

export async function readInputFile(path: string | undefined, what: string): Promise<Uint8Array> {
  if (!path) throw badInput(`missing ${what} path.`, what);
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw badInput(`cannot read ${what} "${path}": ${reason}.`, what);
  }
}

export async function readModelArg(path: string | undefined): Promise<{ bytes: Uint8Array; loaded: LoadedModel }> {
  const bytes = await readInputFile(path, 'model');
  return { bytes, loaded: loadModel(bytes, path!.split(/[\\/]/).pop()) };
}

export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const bytes = await readInputFile(path, what);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw badInput(`${what} "${path}" is not valid JSON: ${(error as Error).message}.`, what);
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

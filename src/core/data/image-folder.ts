import { badInput, throwIfAborted } from '../errors.ts';
import { formatBytes, LIMITS } from '../limits.ts';
import { unzipBounded } from './archive.ts';
import { checkLabels, contentHash, packImages } from './source.ts';
import type { DecodedImage, ImageDecoder, ImportedDataset, ImportOptions, ValueRange } from './types.ts';

/** A file from a folder listing or a zip: its path relative to the chosen folder, and its bytes. */
export interface InputFile {
  path: string;
  bytes: Uint8Array;
}

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'bmp', 'gif', 'webp'];

const isHidden = (segment: string) => segment.startsWith('.') || segment === '__MACOSX' || segment === 'Thumbs.db' || segment === 'desktop.ini';
const extension = (path: string) => /\.([^./]+)$/.exec(path)?.[1].toLowerCase() ?? '';
const splitPath = (path: string) => path.replace(/\\/g, '/').split('/').filter((s) => s && s !== '.');
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface FolderImportOptions extends ImportOptions {
  /** Folder paths in the listing (for a zip: its directory entries), so empty class folders are noticed. */
  directories?: string[];
}

/**
 * Lays out an ImageFolder listing: one sub-folder per class (sorted by name, as torchvision does),
 * images anywhere below it. A single wrapping folder (e.g. "pets/cat/1.png") is looked through.
 */
export function planImageFolder(
  paths: string[],
  directories: string[] = [],
): { classes: string[]; files: { path: string; classIndex: number }[]; ignored: string[] } {
  const visible = (p: string[]) => p.length > 0 && !p.some(isHidden);
  const images: string[][] = [];
  const ignored: string[] = [];
  for (const path of paths) {
    const parts = splitPath(path);
    if (!visible(parts)) continue;
    if (IMAGE_EXTENSIONS.includes(extension(path))) images.push(parts);
    else ignored.push(parts.join('/'));
  }
  const dirs = directories.map(splitPath).filter(visible);
  if (!images.length) {
    throw badInput(`no images found (looked for ${IMAGE_EXTENSIONS.map((e) => '.' + e).join(', ')} files in class sub-folders).`, 'files');
  }
  // Look through wrapping folders shared by every image (and not themselves holding images).
  let prefix = 0;
  while (images.every((p) => p.length > prefix + 2 && p[prefix] === images[0][prefix])) prefix++;
  const loose = images.find((p) => p.length < prefix + 2);
  if (loose) {
    throw badInput(`${loose.join('/')} is not inside a class folder: put each image in a sub-folder named after its class.`, loose.join('/'));
  }
  const root = images[0].slice(0, prefix).join('/');
  const names = new Set(images.map((p) => p[prefix]));
  for (const d of dirs) {
    if (d.length === prefix + 1 && d.slice(0, prefix).join('/') === root) names.add(d[prefix]);
  }
  const classes = [...names].sort(byName);
  const index = new Map(classes.map((c, i) => [c, i]));
  const files = images
    .map((p) => ({ path: p.join('/'), classIndex: index.get(p[prefix])! }))
    .sort((a, b) => a.classIndex - b.classIndex || byName(a.path, b.path));
  const perClass = new Array<number>(classes.length).fill(0);
  for (const f of files) perClass[f.classIndex]++;
  const empty = perClass.findIndex((n) => n === 0);
  if (empty >= 0) throw badInput(`class folder "${[root, classes[empty]].filter(Boolean).join('/')}" holds no images.`, classes[empty]);
  return { classes, files, ignored };
}

function checkDecoded(image: DecodedImage, path: string): DecodedImage {
  const { width, height, channels, data } = image;
  if (!(width > 0 && height > 0) || ![1, 2, 3, 4].includes(channels) || data.length < width * height * channels) {
    throw badInput(`${path}: the decoder returned no usable pixels.`, path);
  }
  return image;
}

/** Decodes an ImageFolder listing into a dataset. Unreadable files stop the import with their name. */
export async function importImageFolder(files: InputFile[], decode: ImageDecoder, options: FolderImportOptions = {}): Promise<ImportedDataset> {
  const plan = planImageFolder(
    files.map((f) => f.path),
    options.directories,
  );
  const bytesByPath = new Map(files.map((f) => [splitPath(f.path).join('/'), f.bytes]));
  const items: DecodedImage[] = [];
  const total = plan.files.length;
  if (total > LIMITS.data.images) {
    throw badInput(`${total.toLocaleString('en-US')} images; edgefold imports up to ${LIMITS.data.images.toLocaleString('en-US')} per dataset (docs/limits.md).`, 'files');
  }
  let pixelBytes = 0;
  options.onProgress?.({ done: 0, total });
  for (let i = 0; i < total; i++) {
    throwIfAborted(options.signal);
    const { path } = plan.files[i];
    let image: DecodedImage;
    try {
      image = await decode(bytesByPath.get(path)!, path);
    } catch (error) {
      if ((error as { code?: string }).code === 'cancelled') throw error;
      throw badInput(`${path} could not be read as an image (${(error as Error).message}).`, path);
    }
    items.push(checkDecoded(image, path));
    pixelBytes += image.data.length;
    if (pixelBytes > LIMITS.data.arrayBytes) {
      throw badInput(`the decoded images pass ${formatBytes(LIMITS.data.arrayBytes)} at ${path}, the limit per dataset (docs/limits.md).`, path);
    }
    if ((i + 1) % 64 === 0 || i + 1 === total) options.onProgress?.({ done: i + 1, total, file: path });
  }
  throwIfAborted(options.signal);
  const labels = Int32Array.from(plan.files, (f) => f.classIndex);
  checkLabels(labels, plan.classes, 'class folders');
  const images = packImages(items);
  const values: ValueRange = { lo: 0, step: 1, quantizationError: 0, kind: 'pixels' };
  const warnings: string[] = [];
  if (plan.ignored.length) {
    const shown = plan.ignored.slice(0, 3).join(', ');
    warnings.push(`ignored ${plan.ignored.length} file(s) that are not images: ${shown}${plan.ignored.length > 3 ? ', ...' : ''}`);
  }
  const root = splitPath(plan.files[0].path);
  return {
    name: options.name ?? (root.length > 2 ? root[0] : 'images'),
    format: 'image-folder',
    count: items.length,
    classes: plan.classes,
    labels,
    images,
    origins: plan.files.map((f) => f.path),
    values,
    contentSha256: contentHash(images, labels, plan.classes, values),
    warnings,
  };
}

/** Unzips an ImageFolder .zip (fflate) into files and directory entries. */
export function unzipFolder(bytes: Uint8Array, fileName: string): { files: InputFile[]; directories: string[] } {
  const { files, directories } = unzipBounded(bytes, fileName);
  return { files: [...files].map(([path, content]) => ({ path, bytes: content })), directories };
}

/** Imports an ImageFolder .zip. */
export async function importImageZip(bytes: Uint8Array, fileName: string, decode: ImageDecoder, options: ImportOptions = {}): Promise<ImportedDataset> {
  const { files, directories } = unzipFolder(bytes, fileName);
  const name = options.name ?? fileName.split(/[\\/]/).pop()!.replace(/\.zip$/i, '');
  try {
    return await importImageFolder(files, decode, { ...options, name, directories });
  } catch (error) {
    if (error instanceof Error && (error as { code?: string }).code === 'bad-input' && !error.message.startsWith(fileName)) {
      error.message = `${fileName}: ${error.message}`;
    }
    throw error;
  }
}

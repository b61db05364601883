import { badInput, EdgefoldError } from '../errors.ts';
import { boundedProduct, clip, formatBytes, LIMITS, quote } from '../limits.ts';
import { halfToFloat } from '../onnx/tensor.ts';
import { unzipBounded } from './archive.ts';

/** A decoded .npy array. Numbers come as a typed array; string arrays ('<U', '|S') as string[]. */
export interface NpyArray {
  dtype: string;
  shape: number[];
  data: Float64Array | Float32Array | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | string[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function parseHeader(header: string, fileName: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw badInput(`${fileName}: the .npy header is not readable (${quote(header.trim(), 80)}).`, fileName);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (shape.length > 32 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw badInput(`${fileName}: bad shape (${clip(shapeText, 80)}) in the .npy header.`, fileName);
  return { descr, fortran: fortran === 'True', shape };
}

/** Bytes of the typed array parseNpy makes for `count` elements of `descr` (64-bit integers become float64). */
function checkArrayBytes(descr: string, count: number, fileName: string): void {
  const kind = descr.slice(1);
  const perElement = /^[ui]8$|^f8$/.test(kind) ? 8 : /^[uif]4$|^f2$/.test(kind) ? 4 : /^[ui]2$/.test(kind) ? 2 : 1;
  if (count * perElement > LIMITS.data.arrayBytes) {
    throw badInput(`${fileName}: ${count.toLocaleString('en-US')} elements of ${quote(descr, 40)} need ${formatBytes(count * perElement)} in memory; the limit per array is ${formatBytes(LIMITS.data.arrayBytes)} (docs/limits.md).`, fileName);
  }
}

/** Parses a .npy file (format versions 1 to 3, C order, numeric or fixed-width string dtypes). */
export function parseNpy(bytes: Uint8Array, fileName: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) throw badInput(`${fileName} is not a .npy file (bad magic string).`, fileName);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (major < 1 || major > 3 || bytes.length < headerStart) throw badInput(`${fileName}: unsupported or damaged .npy header.`, fileName);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLength > bytes.length || headerLength > LIMITS.data.npyHeaderBytes) throw badInput(`${fileName}: unsupported or damaged .npy header.`, fileName);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const { descr, fortran, shape } = parseHeader(header, fileName);
  const count = boundedProduct(shape, LIMITS.data.arrayElements);
  if (count === Infinity) {
    throw badInput(`${fileName}: shape [${clip(shape.join(', '), 80)}] has more than ${LIMITS.data.arrayElements.toLocaleString('en-US')} elements, the limit per array (docs/limits.md).`, fileName);
  }
  checkArrayBytes(descr, count, fileName);
  if (fortran && shape.filter((d) => d > 1).length > 1) {
    throw badInput(`${fileName} is stored in Fortran order; save it with numpy.ascontiguousarray(...) first.`, fileName);
  }
  const body = bytes.subarray(headerStart + headerLength);
  const order = descr[0];
  const kind = descr.slice(1);
  const big = order === '>';
  const need = (size: number) => {
    if (body.length < count * size) {
      throw badInput(`${fileName}: holds ${body.length} data bytes, shape [${shape.join(', ')}] of ${descr} needs ${count * size}.`, fileName);
    }
    return new DataView(body.buffer, body.byteOffset, count * size);
  };
  const numeric = <T extends NpyArray['data']>(size: number, make: (n: number) => T, read: (v: DataView, i: number) => number): T => {
    const v = need(size);
    const out = make(count) as unknown as { [i: number]: number };
    for (let i = 0; i < count; i++) out[i] = read(v, i);
    return out as unknown as T;
  };
  let data: NpyArray['data'];
  switch (kind) {
    case 'u1':
    case 'b1':
      need(1);
      data = body.slice(0, count);
      break;
    case 'i1':
      data = numeric(1, (n) => new Int8Array(n), (v, i) => v.getInt8(i));
      break;
    case 'u2':
      data = numeric(2, (n) => new Uint16Array(n), (v, i) => v.getUint16(2 * i, !big));
      break;
    case 'i2':
      data = numeric(2, (n) => new Int16Array(n), (v, i) => v.getInt16(2 * i, !big));
      break;
    case 'u4':
      data = numeric(4, (n) => new Uint32Array(n), (v, i) => v.getUint32(4 * i, !big));
      break;
    case 'i4':
      data = numeric(4, (n) => new Int32Array(n), (v, i) => v.getInt32(4 * i, !big));
      break;
    case 'u8':
      data = numeric(8, (n) => new Float64Array(n), (v, i) => Number(v.getBigUint64(8 * i, !big)));
      break;
    case 'i8':
      data = numeric(8, (n) => new Float64Array(n), (v, i) => Number(v.getBigInt64(8 * i, !big)));
      break;
    case 'f2':
      data = numeric(2, (n) => new Float32Array(n), (v, i) => halfToFloat(v.getUint16(2 * i, !big)));
      break;
    case 'f4':
      data = numeric(4, (n) => new Float32Array(n), (v, i) => v.getFloat32(4 * i, !big));
      break;
    case 'f8':
      data = numeric(8, (n) => new Float64Array(n), (v, i) => v.getFloat64(8 * i, !big));
      break;
    default: {
      const str = /^([US])(\d+)$/.exec(kind);
      if (!str) {
        const what = kind === 'O' ? 'pickled Python objects' : `dtype "${descr}"`;
        throw new EdgefoldError('unsupported', `${fileName} holds ${what}; edgefold reads integer, float and string arrays.`, fileName);
      }
      const width = Number(str[2]);
      if (width < 1 || width > LIMITS.data.stringChars) {
        throw badInput(`${fileName}: string dtype ${quote(descr, 40)} has width ${width}; edgefold reads string widths from 1 to ${LIMITS.data.stringChars}.`, fileName);
      }
      if (count > LIMITS.data.stringElements) {
        throw badInput(`${fileName}: ${count.toLocaleString('en-US')} strings; edgefold reads up to ${LIMITS.data.stringElements.toLocaleString('en-US')} (class names).`, fileName);
      }
      const size = str[1] === 'U' ? 4 * width : width;
      const v = need(size);
      data = Array.from({ length: count }, (_, i) => {
        let s = '';
        for (let c = 0; c < width; c++) {
          const code = str[1] === 'U' ? v.getUint32(i * size + 4 * c, !big) : v.getUint8(i * size + c);
          if (code === 0) break;
          s += String.fromCodePoint(code);
        }
        return s;
      });
    }
  }
  return { dtype: descr, shape, data };
}

/** Parses an .npz (zip of .npy, stored or deflated); keys are the array names without ".npy". */
export function parseNpz(bytes: Uint8Array, fileName: string): Map<string, NpyArray> {
  const { files } = unzipBounded(bytes, fileName, '.npz (zip) file');
  const arrays = new Map<string, NpyArray>();
  for (const [path, content] of files) {
    if (!path.endsWith('.npy')) continue;
    const key = path.slice(0, -4);
    arrays.set(key, parseNpy(content, `${fileName}:${key}`));
  }
  if (!arrays.size) throw badInput(`${fileName} contains no .npy arrays.`, fileName);
  return arrays;
}

export type NpyDtype = '<f4' | '<i8' | '<i4' | '|u1';

/** Writes a .npy (version 1.0, C order, little endian). */
export function encodeNpy(values: ArrayLike<number>, shape: readonly number[], dtype: NpyDtype): Uint8Array<ArrayBuffer> {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new EdgefoldError('internal', `encodeNpy: ${values.length} values for shape [${shape.join(', ')}].`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const size = dtype === '<f4' || dtype === '<i4' ? 4 : dtype === '<i8' ? 8 : 1;
  const out = new Uint8Array(10 + header.length + count * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const start = 10 + header.length;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (dtype === '<f4') view.setFloat32(start + 4 * i, v, true);
    else if (dtype === '<i4') view.setInt32(start + 4 * i, v, true);
    else if (dtype === '<i8') view.setBigInt64(start + 8 * i, BigInt(Math.round(v)), true);
    else out[start + i] = v;
  }
  return out;
}

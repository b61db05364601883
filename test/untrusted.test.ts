/**
 * One test per defect class of issue 16 ("untrusted input"): each builds the hostile file the
 * probe found and checks it is refused with the project's bad-input error, a message naming the
 * field and the limit, and no allocation on the way (the cases that used to allocate gigabytes
 * are refused by checks that run before any allocation, so they finish at once).
 */
import { create } from '@bufbuild/protobuf';
import { gzipSync, strToU8, zipSync } from 'fflate';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SparseTensorProtoSchema, StringStringEntryProtoSchema, TensorProtoSchema, type TensorProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { parseCompressionConfig } from '../src/core/config/compression.ts';
import { parseDeploymentConfig } from '../src/core/config/deployment.ts';
import { unzipBounded } from '../src/core/data/archive.ts';
import { importIdx, importNpy, importNpz, imagesFromArray } from '../src/core/data/arrays.ts';
import { decodeImageNode, encodePng } from '../src/core/data/node-decoder.ts';
import { encodeNpy, parseNpy } from '../src/core/data/npy.ts';
import { parseIdx } from '../src/core/eval/dataset.ts';
import { EdgefoldError } from '../src/core/errors.ts';
import { loadModel } from '../src/core/graph/index.ts';
import { parseHwFolding } from '../src/core/hw/config.ts';
import { estimate } from '../src/core/hw/pipeline.ts';
import { LIMITS, parseJsonText } from '../src/core/limits.ts';
import { buildModel, node, tensorInfo } from '../src/core/onnx/builder.ts';
import { encodeModel } from '../src/core/onnx/model.ts';
import { DataType, floatTensor } from '../src/core/onnx/tensor.ts';
import { analyzeChannels } from '../src/core/prune/index.ts';
import { convReluChain } from './chain.ts';
import { DEFAULT_MODEL, defaultModelMissing } from './fixtures.ts';

/** Runs `fn` and returns the EdgefoldError it throws (failing on any other outcome). */
function refusal(fn: () => unknown): EdgefoldError {
  try {
    fn();
  } catch (error) {
    if (error instanceof EdgefoldError) {
      expect(['bad-input', 'unsupported']).toContain(error.code);
      return error;
    }
    throw new Error(`expected a bad-input refusal, got ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
  }
  throw new Error('expected a refusal, but the input was accepted');
}

/** A one-Conv model: input [1, 4, 8, 8], weight `w` (4 x 4/group x 3 x 3 unless replaced). */
function convModel(options: { weight?: TensorProto; attrs?: Record<string, number | number[]>; inputShape?: number[]; extra?: (m: ReturnType<typeof buildModel>) => void } = {}): Uint8Array {
  const group = typeof options.attrs?.group === 'number' ? options.attrs.group : 1;
  const cinPerGroup = Math.max(1, Math.floor(4 / Math.max(1, group)));
  const weight = options.weight ?? floatTensor('w', [4, cinPerGroup, 3, 3], new Array(4 * cinPerGroup * 9).fill(0.1));
  const model = buildModel({
    nodes: [node('Conv', ['x', weight.name], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], ...options.attrs }, 'conv')],
    initializers: [weight],
    inputs: [tensorInfo('x', options.inputShape ?? [1, 4, 8, 8])],
    outputs: [tensorInfo('y')],
  });
  options.extra?.(model);
  return encodeModel(model);
}

const tensor = (fields: Partial<Omit<TensorProto, '$typeName'>>) => create(TensorProtoSchema, { name: 'w', dataType: DataType.FLOAT, ...fields } as never);
const HUGE = [100_000n, 100_000n, 100_000n];

describe('models: stored tensors are checked before anything is allocated', () => {
  it('float_data / int64_data tensors with huge dims are refused with the per-tensor limit', () => {
    for (const t of [tensor({ dims: HUGE, floatData: [1, 2, 3] }), tensor({ dims: HUGE, dataType: DataType.INT64, int64Data: [1n] })]) {
      const error = refusal(() => loadModel(convModel({ weight: t }), 'huge.onnx'));
      expect(error.message).toMatch(/huge\.onnx: tensor "w" \(initializer\) has dims \[100000, 100000, 100000\], more than the limit of 67,108,864 elements/);
    }
  });

  it('a tensor with dims but no data at all is refused as damaged', () => {
    const error = refusal(() => loadModel(convModel({ weight: tensor({ dims: [4n, 4n, 3n, 3n] }) }), 'empty.onnx'));
    expect(error.message).toMatch(/empty\.onnx is damaged: tensor "w" .* holds no data/);
  });

  it('float_data shorter than the dims promise is refused', () => {
    const error = refusal(() => loadModel(convModel({ weight: tensor({ dims: [4n, 4n, 3n, 3n], floatData: [1, 2] }) }), 'short.onnx'));
    expect(error.message).toMatch(/should hold 144 values but holds 2/);
  });

  it('negative dims are bad input, not a RangeError', () => {
    const error = refusal(() => loadModel(convModel({ weight: tensor({ dims: [-4n, 4n, 3n, 3n], floatData: [1] }) }), 'neg.onnx'));
    expect(error.message).toMatch(/invalid dimension in \[-4, 4, 3, 3\]/);
  });

  it('a Constant node value with huge dims is refused', () => {
    const bytes = convModel({
      extra: (m) => {
        m.graph!.node.unshift(node('Constant', [], ['c'], { value: tensor({ name: 'c', dims: HUGE }) }));
      },
    });
    expect(refusal(() => loadModel(bytes, 'const.onnx')).message).toMatch(/tensor "c" \(attribute of node "c"\) has dims/);
  });

  it('external data is refused wherever it is: initializer, sparse_initializer, Constant value', () => {
    const external = () => tensor({ name: 'ext', dims: [1n], externalData: [create(StringStringEntryProtoSchema, { key: 'location', value: 'weights.bin' })] });
    const cases = [
      convModel({ extra: (m) => m.graph!.initializer.push(external()) }),
      convModel({ extra: (m) => m.graph!.sparseInitializer.push(create(SparseTensorProtoSchema, { values: external(), dims: [4n] })) }),
      convModel({ extra: (m) => m.graph!.node.unshift(node('Constant', [], ['c'], { value: external() })) }),
    ];
    for (const bytes of cases) expect(refusal(() => loadModel(bytes, 'ext.onnx')).message).toMatch(/keeps tensor "ext" .* in an external data file/);
  });

  it('declared negative input dims are refused (they gave negative MACs)', () => {
    expect(refusal(() => loadModel(convModel({ inputShape: [1, 4, -8, 8] }), 'neg-in.onnx')).message).toMatch(/declares dimension -8/);
  });
});

describe('models: invalid graphs are refused, never counted as NaN, Infinity or negative', () => {
  it('Conv group 0, a group not dividing the channels, stride 0 and negative pads', () => {
    const cases: [Record<string, number | number[]>, RegExp][] = [
      [{ group: 0 }, /attribute "group" is 0/],
      [{ group: 3 }, /group 3 does not divide its 4 output channels/],
      [{ strides: [0, 1] }, /attribute "strides" is \[0, 1\]/],
      [{ pads: [-1, 1, 1, 1] }, /attribute "pads"/],
      [{ dilations: [1] }, /attribute "dilations" is \[1\]; it needs 2 integers/],
    ];
    for (const [attrs, message] of cases) {
      const error = refusal(() => loadModel(convModel({ attrs }), 'bad.onnx'));
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/^bad\.onnx: Conv node "conv"/);
    }
  });

  it('the weight must match the input channels (group x channels per group)', () => {
    const weight = floatTensor('w', [4, 2, 3, 3], new Array(72).fill(0.1));
    expect(refusal(() => loadModel(convModel({ weight }), 'mismatch.onnx')).message).toMatch(/input has 4 channels, but the weight expects 2 per group x group 1 = 2/);
  });

  it('two nodes producing the same tensor are refused', () => {
    const bytes = convModel({ extra: (m) => m.graph!.node.push(node('Relu', ['x'], ['y'], {}, 'relu')) });
    expect(refusal(() => loadModel(bytes, 'dup.onnx')).message).toMatch(/^dup\.onnx: The graph is invalid: tensor "y" is produced by node "relu" and also by node "conv"/);
  });

  it('a valid model still loads with the same numbers', () => {
    const loaded = loadModel(convModel(), 'ok.onnx');
    expect(loaded.summary).toMatchObject({ params: 144, macs: 144 * 64 });
  });
});

describe('models: analysis is linear in the graph size', () => {
  it('a 10,000-node (5,000 Conv + Relu) chain goes through decode, shapes, layers and groups', () => {
    // Not timed (speed lives in tools/bench/untrusted.bench.ts); the quadratic version took minutes here.
    const loaded = loadModel(convReluChain(5000), 'chain.onnx');
    expect(loaded.layers).toHaveLength(5000);
    const analysis = analyzeChannels(loaded.model);
    expect(analysis.groups.length).toBe(5001); // one per conv, and the graph input's
    expect(analysis.groups.find((g) => g.id === 'conv0')?.tensors).toEqual(['c0', 'r0']);
  });
});

describe('datasets: sizes are checked before decompressing or decoding', () => {
  it('a zip bomb is refused from its declared sizes, before inflating', () => {
    const bomb = zipSync({ 'x.npy': new Uint8Array(8 * 2 ** 20) }, { level: 9 });
    expect(bomb.length).toBeLessThan(20_000);
    const error = refusal(() => unzipBounded(bomb, 'bomb.zip', 'zip file', 2 ** 20));
    expect(error.message).toMatch(/bomb\.zip decompresses to more than 1 MiB, the limit per archive/);
  });

  it('an entry that inflates past its declared size is stopped there', () => {
    const zip = zipSync({ 'x.npy': new Uint8Array(2 ** 20) }, { level: 9 });
    const view = new DataView(zip.buffer);
    // rewrite the central directory's uncompressed size to 1 KiB
    for (let i = zip.length - 22; i >= 0; i--) {
      if (view.getUint32(i, true) === 0x02014b50) {
        view.setUint32(i + 24, 1024, true);
        break;
      }
    }
    expect(refusal(() => unzipBounded(zip, 'liar.zip')).message).toMatch(/inflates past the 1,024 bytes its header declares/);
  });

  it('a gzip IDX that declares more than the limit is refused before inflating', () => {
    const gz = gzipSync(new Uint8Array(2 ** 20));
    new DataView(gz.buffer).setUint32(gz.length - 4, 2 ** 31, true);
    expect(refusal(() => parseIdx(gz, 'images-idx3-ubyte.gz')).message).toMatch(/decompresses to more than 512 MiB/);
  });

  it('a PNG claiming 20000 x 20000 pixels is refused from its header', () => {
    const png = encodePng(8, 8, 1, new Uint8Array(64));
    const view = new DataView(png.buffer, png.byteOffset);
    view.setUint32(16, 20_000, false);
    view.setUint32(20, 20_000, false);
    expect(refusal(() => decodeImageNode(png, 'big.png')).message).toMatch(/"big.png": the image is 20000 x 20000 pixels; edgefold reads images up to 16384 pixels a side/);
  });

  it('a JPEG of 0 x 0 pixels is refused', () => {
    // SOI, then an SOF0 segment declaring height 0, width 0
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 0, 0, 0, 1, 1, 0x11, 0, 0xff, 0xd9]);
    expect(refusal(() => decodeImageNode(jpeg, 'zero.jpg')).message).toMatch(/0 x 0 pixels; it has no pixels/);
  });

  it('npy of dtype <U0 / |S0 is refused for any shape', () => {
    for (const descr of ['<U0', '|S0']) {
      const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (10000, 10000), }`;
      const npy = new Uint8Array(10 + header.length + 1);
      npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length + 1, 0]);
      npy.set(strToU8(header + '\n'), 10);
      expect(refusal(() => parseNpy(npy, 'names.npy')).message).toMatch(/names\.npy: string dtype "(<U0|\|S0)" has width 0/);
    }
  });

  it('short npy and IDX headers are bad input, not RangeErrors', () => {
    const npyV2 = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 1, 0]);
    expect(refusal(() => parseNpy(npyV2, 'short.npy')).message).toMatch(/short\.npy: unsupported or damaged/);
    const idx = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 4]);
    expect(refusal(() => parseIdx(idx, 'short-idx3-ubyte')).message).toMatch(/promises 3 dimensions but the file ends after 8 bytes/);
  });

  it('image arrays of 0 x 0 or N x 28 x 0 pixels are refused, and more than the image limit', () => {
    for (const shape of [[4, 0, 0], [4, 28, 0]]) {
      expect(refusal(() => imagesFromArray({ shape, data: new Uint8Array(0) }, 'x')).message).toMatch(/it has no pixels/);
    }
    const n = LIMITS.data.images + 1;
    expect(refusal(() => imagesFromArray({ shape: [n, 1, 1], data: new Uint8Array(n) }, 'x')).message).toMatch(/holds 500,001 images; edgefold imports up to 500,000/);
  });

  it('an npz / npy / IDX with too many elements is refused from its header', () => {
    const header = `{'descr': '|u1', 'fortran_order': False, 'shape': (1000000, 1000, 1000), }`;
    const npy = new Uint8Array(10 + header.length + 1);
    npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length + 1, 0]);
    npy.set(strToU8(header + '\n'), 10);
    expect(refusal(() => importNpz(zipSync({ 'x.npy': npy, 'y.npy': encodeNpy([0], [1], '<i8') }), 'big.npz')).message).toMatch(/more than 268,435,456 elements/);
    expect(refusal(() => importNpy(npy, 'x.npy', encodeNpy([0], [1], '<i8'), 'y.npy')).message).toMatch(/more than 268,435,456 elements/);
    const idx = new Uint8Array(16);
    idx.set([0, 0, 8, 3]);
    new DataView(idx.buffer).setUint32(4, 2 ** 32 - 1);
    new DataView(idx.buffer).setUint32(8, 28);
    new DataView(idx.buffer).setUint32(12, 28);
    expect(refusal(() => importIdx(idx, 'x-idx3-ubyte', idx, 'y-idx1-ubyte')).message).toMatch(/more than 268,435,456 elements/);
  });
});

describe('configs: numbers in range, sizes bounded, no prototype keys', () => {
  it('clockMHz 1e308, Infinity and 1e-300 are refused with the range', () => {
    for (const clock of [1e308, Infinity, 1e-300, 0, -5]) {
      expect(refusal(() => estimate([], [], { id: 'x' } as never, clock)).message).toMatch(/clock \(MHz\) must be a number from 1 to 2000/);
    }
  });

  it('1e400 (JSON Infinity) is refused even where the schema says integer', () => {
    const text = readDeploymentText().replace('"clockMHz": 100', '"clockMHz": 1e400');
    expect(refusal(() => parseJsonText(text, 'cfg.json')).message).toMatch(/"hardware.clockMHz" is a number too large to represent/);
    const parsed = JSON.parse(readDeploymentText());
    parsed.model.params = Infinity;
    expect(refusal(() => parseDeploymentConfig(parsed)).message).toMatch(/"model.params" is a number too large/);
  });

  it('roundTo 1e300 is refused, and bits keep their range', () => {
    expect(refusal(() => parseCompressionConfig({ version: 1, prune: { roundTo: 1e300 } })).message).toMatch(/prune.roundTo must be an integer from 1 to 4096/);
    expect(refusal(() => parseCompressionConfig({ version: 1, quant: { weightBits: 1e300 } })).message).toMatch(/from 2 to 16/);
  });

  it('a layer named __proto__ is refused in the hardware and compression sections', () => {
    const hw = JSON.parse('{"__proto__": {"pe": 2}}');
    expect(refusal(() => parseHwFolding(hw, 'layers')).message).toMatch(/layer named "__proto__"/);
    expect(refusal(() => parseCompressionConfig(JSON.parse('{"version": 1, "layers": {"__proto__": {"weightBits": 4}}}'))).message).toMatch(/layer named "__proto__"/);
    expect(refusal(() => parseJsonText('{"layers": {"__proto__": {}}}', 'cfg.json')).message).toMatch(/has a key named "__proto__"/);
  });

  it('a 50 MB string is refused by size, and messages quote at most ~200 characters', () => {
    const long = 'x'.repeat(50 * 2 ** 20);
    const error = refusal(() => parseJsonText(JSON.stringify({ version: 1, name: long }), 'big.json'));
    expect(error.message).toMatch(/big\.json is 50\.0 MiB; edgefold reads files up to 16 MiB/);
    const quoted = refusal(() => parseCompressionConfig({ version: 1, prune: { criterion: 'y'.repeat(100_000) } }));
    expect(quoted.message.length).toBeLessThan(400);
    expect(quoted.message).toMatch(/… \(100,002 characters\)/);
  });

  it('a config with a million layer entries is refused by count', () => {
    const text = `{"version": 1, "layers": {${Array.from({ length: 1_000_000 }, (_, i) => `"l${i}": {}`).join(', ')}}}`;
    expect(text.length).toBeLessThan(LIMITS.config.fileBytes);
    expect(refusal(() => parseJsonText(text, 'many.json')).message).toMatch(/many\.json has an object or array of more than 200,000 entries/);
  });
});

/** The sample deployment config, written with one space after each colon. */
const readDeploymentText = (): string => JSON.stringify(JSON.parse(readFileSync(join(import.meta.dirname, 'fuzz/deployment-config.json'), 'utf8')), null, 1);

describe.skipIf(defaultModelMissing)('CLI: bad input is exit 2 with one clear line', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'edgefold-untrusted-'));
  async function run(args: string[]) {
    let out = '';
    let err = '';
    const code = await main(args, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') });
    return { code, out, err };
  }

  it('-o into a missing folder or onto a directory is exit 2, checked before the work', async () => {
    const config = join(tmp, 'c.json');
    writeFileSync(config, JSON.stringify({ version: 1, prune: { ratio: 0.25 } }));
    for (const [output, why] of [[join(tmp, 'missing', 'out.onnx'), /no such file or directory/], [tmp, /it is a directory/]] as const) {
      const { code, err } = await run(['apply', DEFAULT_MODEL, '--config', config, '-o', output]);
      expect(code).toBe(2);
      expect(err).toMatch(why);
      expect(err).not.toMatch(/internal error/);
    }
  });

  it('a config clock of 0 is exit 2 with the range, as --clock would be; budget 5 like --budget 5', async () => {
    for (const [hardware, message] of [[{ clockMHz: 0 }, /config ".*hw\.json": hardware.clockMHz must be a number from 1 to 2000/], [{ budget: 5 }, /config ".*hw\.json": hardware.budget must be a number from 0.01 to 1/]] as const) {
      const config = join(tmp, 'hw.json');
      writeFileSync(config, JSON.stringify({ hardware: { layers: {}, ...hardware } }));
      const { code, err } = await run(['estimate', DEFAULT_MODEL, '--config', config, '--device', 'XC7Z020']);
      expect(code).toBe(2);
      expect(err).toMatch(message);
    }
    const { code, err } = await run(['estimate', DEFAULT_MODEL, '--device', 'XC7Z020', '--budget', '5']);
    expect(code).toBe(2);
    expect(err).toMatch(/--budget must be a number from 0.01 to 1/);
  });

  it('option errors print one line and a hint, not the usage', async () => {
    const { code, err } = await run(['inspect', '--bogus']);
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toEqual([expect.stringMatching(/^edgefold inspect: Unknown option '--bogus'/), 'Run "edgefold inspect --help" for its options.']);
    const unknown = await run(['nope']);
    expect(unknown.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('web: the shipped headers file', () => {
  it('public/_headers is what tools/web/security-headers.ts says (one source for every server)', async () => {
    const { headersFile } = await import('../tools/web/security-headers.ts');
    expect(readFileSync(join(import.meta.dirname, '../public/_headers'), 'utf8')).toBe(headersFile());
  });
});

describe('web: no run-time code generation (the CSP has no unsafe-eval)', () => {
  it('the precompiled deployment-config validator matches the shipped schema', async () => {
    const { compileDeploymentSchema, GENERATED_VALIDATOR } = await import('../tools/web/compile-schema.ts');
    expect(readFileSync(GENERATED_VALIDATOR, 'utf8')).toBe(compileDeploymentSchema());
  });
});

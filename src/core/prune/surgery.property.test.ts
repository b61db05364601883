/**
 * Pruning surgery on random graphs (issue 14): seeded random CNNs with residual Adds, Concats,
 * depthwise convs and an FC feeding an FC are pruned at random ratios; onnxruntime must compute
 * the same outputs from the pruned model as from the unpruned model with the removed channels
 * masked, and the pruned model's parameter count (counted from its initializers, not from the
 * layer view) must equal the plan's prediction.
 */
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/model.ts';
import { floatTensor, tensorDims } from '../onnx/tensor.ts';
import { analyzeChannels, channelImportance, maskModel, pruneModel } from './index.ts';
import { maxRelativeDiff, randomValues, seeded } from './testing.ts';

ort.env.logLevel = 'error';

type Block = 'pw' | 'dw' | 'residual' | 'concat';

/** Input [N, 3, 6, 6] -> stem 3x3 -> blocks -> GlobalAveragePool -> Flatten -> Gemm -> Relu -> Gemm (transB random). */
function randomModel(seed: number, blocks: Block[], widths: number[], transB: boolean): ModelProto {
  const r = seeded(seed);
  const inits: ReturnType<typeof floatTensor>[] = [];
  const nodes: ReturnType<typeof node>[] = [];
  let id = 0;
  const w = (dims: number[], scale = 0.6) => {
    const name = `w${id++}`;
    inits.push(floatTensor(name, dims, randomValues(r, dims.reduce((a, b) => a * b, 1), scale)));
    return name;
  };
  const conv = (x: string, cin: number, cout: number, k: number, group = 1) => {
    const y = `t${id++}`;
    nodes.push(node('Conv', [x, w([cout, cin / group, k, k]), w([cout], 0.2)], [y], { kernel_shape: [k, k], pads: Array(4).fill((k - 1) / 2), group }, `conv${id}`));
    const out = `t${id++}`;
    nodes.push(node('Relu', [y], [out]));
    return out;
  };
  let c = widths[0];
  let x = conv('x', 3, c, 3);
  blocks.forEach((b, i) => {
    const width = widths[(i + 1) % widths.length];
    if (b === 'pw') {
      x = conv(x, c, width, 1);
      c = width;
    } else if (b === 'dw') {
      x = conv(x, c, c, 3, c);
    } else if (b === 'residual') {
      const y = conv(x, c, c, 1);
      const s = `t${id++}`;
      nodes.push(node('Add', [x, y], [s], {}, `add${id}`));
      x = s;
    } else {
      const a = conv(x, c, width, 1);
      const b2 = conv(x, c, c, 1);
      const cat = `t${id++}`;
      nodes.push(node('Concat', [a, b2], [cat], { axis: 1 }, `cat${id}`));
      x = cat;
      c = width + c;
    }
  });
  nodes.push(node('GlobalAveragePool', [x], ['gap']), node('Flatten', ['gap'], ['flat'], { axis: 1 }));
  const hidden = widths[1];
  nodes.push(node('Gemm', ['flat', w([hidden, c]), w([hidden], 0.2)], ['h'], { transB: 1 }, 'fc1'));
  nodes.push(node('Relu', ['h'], ['hr']));
  nodes.push(node('Gemm', ['hr', w(transB ? [5, hidden] : [hidden, 5]), w([5], 0.2)], ['y'], { transB: transB ? 1 : 0 }, 'fc2'));
  return buildModel({ inputs: [tensorInfo('x', ['N', 3, 6, 6])], outputs: [tensorInfo('y', ['N', 5])], initializers: inits, nodes });
}

async function run(bytes: Uint8Array, input: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, graphOptimizationLevel: 'disabled' });
  try {
    return (await session.run({ x: new ort.Tensor('float32', input, [2, 3, 6, 6]) })).y.data as Float32Array;
  } finally {
    await session.release();
  }
}

const initializerCount = (m: ModelProto) => m.graph!.initializer.reduce((n, t) => n + tensorDims(t).reduce((a, b) => a * b, 1), 0);

/** Mutation runs (MUTATION_SCOPE set) run the whole property for every surviving mutant: fewer cases there. */
const numRuns = process.env.MUTATION_SCOPE ? 24 : 80;

describe('pruning surgery on random graphs (fast-check, fixed seed)', () => {
  const caseArb = fc.record({
    seed: fc.integer({ min: 1, max: 1e6 }),
    blocks: fc.array(fc.constantFrom<Block>('pw', 'dw', 'residual', 'concat'), { minLength: 1, maxLength: 5 }),
    widths: fc.array(fc.integer({ min: 2, max: 9 }), { minLength: 2, maxLength: 4 }),
    ratio: fc.constantFrom(0.2, 0.34, 0.5, 0.75),
    roundTo: fc.constantFrom(1, 2),
    criterion: fc.constantFrom('l1' as const, 'l2' as const),
    transB: fc.boolean(),
  });

  it('onnxruntime gives the masked unpruned model\'s outputs; parameters as planned', async () => {
    let changed = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const model = randomModel(c.seed, c.blocks, c.widths, c.transB);
        const { model: pruned, plan, analysis } = pruneModel(model, { ratio: c.ratio, roundTo: c.roundTo, criterion: c.criterion });
        const input = Float32Array.from(randomValues(seeded(c.seed + 1), 2 * 3 * 36, 2));
        const prunedBytes = encodeModel(pruned);
        const [got, want] = [await run(prunedBytes, input), await run(encodeModel(maskModel(model, analysis, plan.keep)), input)];
        expect(got).toHaveLength(10);
        expect(maxRelativeDiff(got, want)).toBeLessThanOrEqual(1e-5);
        expect(plan.keep.size).toBeGreaterThan(0);
        if (maxRelativeDiff(await run(encodeModel(model), input), want) > 1e-3) changed++;
        // every weight and bias of this generator belongs to a layer: parameters = initializer elements
        expect(initializerCount(decodeModel(prunedBytes))).toBe(plan.predicted.params);
        expect(initializerCount(model)).toBe(plan.before.params);
        for (const g of plan.groups) expect(g.keep.length).toBeLessThanOrEqual(g.size);
      }),
      { seed: 1414, numRuns },
    );
    // pruning changed the outputs in most cases, so agreeing with the mask is not vacuous
    expect(changed).toBeGreaterThan(numRuns * 0.75);
  }, 180_000);
});

describe('importance of an FC feeding an FC', () => {
  // flat[4] -> fc1 (Gemm, 6 outputs) -> Relu -> fc2 (3 outputs). fc1's output group (6 channels)
  // is scored by fc1's weights only: the rows (transB = 1) or columns (transB = 0, and MatMul).
  const fc1Rows = [
    [1, -1, 0, 0], // L1 2, L2 sqrt 2
    [3, 0, 0, 0], // L1 3, L2 3
    [0.5, 0.5, 0.5, 0.5], // L1 2, L2 1
    [0, 0, 0, -0.1], // L1 0.1
    [-2, 2, -2, 2], // L1 8, L2 4
    [1, 1, 1, 0], // L1 3, L2 sqrt 3
  ];
  const model = (layout: 'transB' | 'plain' | 'matmul') => {
    const rowsFirst = layout === 'transB';
    const w1 = rowsFirst ? fc1Rows.flat() : [0, 1, 2, 3].flatMap((k) => fc1Rows.map((row) => row[k]));
    const first =
      layout === 'matmul'
        ? [node('MatMul', ['x', 'w1'], ['m'], {}, 'fc1'), node('Add', ['m', 'b1'], ['h'], {}, 'fc1_bias')]
        : [node('Gemm', ['x', 'w1', 'b1'], ['h'], { transB: rowsFirst ? 1 : 0 }, 'fc1')];
    return buildModel({
      inputs: [tensorInfo('x', ['N', 4])],
      outputs: [tensorInfo('y', ['N', 3])],
      initializers: [
        floatTensor('w1', rowsFirst ? [6, 4] : [4, 6], w1),
        floatTensor('b1', [6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
        floatTensor('w2', [3, 6], randomValues(seeded(5), 18, 1)),
        floatTensor('b2', [3], [0, 0, 0]),
      ],
      nodes: [...first, node('Relu', ['h'], ['r']), node('Gemm', ['r', 'w2', 'b2'], ['y'], { transB: 1 }, 'fc2')],
    });
  };

  for (const layout of ['transB', 'plain', 'matmul'] as const) {
    it(`${layout}: L1 and L2 per output feature, by hand; pruning keeps the strongest`, async () => {
      const m = model(layout);
      const a = analyzeChannels(m);
      const group = a.groups.find((g) => g.size === 6 && g.prunable)!;
      expect(group).toBeDefined();
      expect(channelImportance(a, group, 'l1').scores.map((s) => +s.toFixed(6))).toEqual([2, 3, 2, 0.1, 8, 3]);
      expect(channelImportance(a, group, 'l2').scores.map((s) => +s.toFixed(6))).toEqual([Math.SQRT2, 3, 1, 0.1, 4, Math.sqrt(3)].map((s) => +s.toFixed(6)));
      const { model: pruned, plan } = pruneModel(m, { groups: { [group.id]: { keep: 3 } } });
      // top 3 by L1: 8 (4), then 3 (1) and 3 (5)
      expect(plan.keep.get(group.id)).toEqual([1, 4, 5]);
      // fc1 4 x 3 + 3 bias, fc2 3 x 3 + 3
      expect(plan.predicted.params).toBe(12 + 3 + 9 + 3);
      const x = Float32Array.from(randomValues(seeded(9), 8, 1));
      const session = async (b: Uint8Array) => {
        const s = await ort.InferenceSession.create(b, { logSeverityLevel: 3 });
        const y = (await s.run({ x: new ort.Tensor('float32', x, [2, 4]) })).y.data as Float32Array;
        await s.release();
        return y;
      };
      const [got, want] = [await session(encodeModel(pruned)), await session(encodeModel(maskModel(m, a, plan.keep)))];
      expect(maxRelativeDiff(got, want)).toBeLessThanOrEqual(1e-6);
    });
  }
});

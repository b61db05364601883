/**
 * The training graph computes only what it uses: every node feeds the loss, a gradient or a batch
 * statistic that the graph outputs. A rule that writes a gradient nobody needs (the input of the
 * first layer, a frozen weight or bias, a layer before every trained one) adds nodes whose results
 * are dropped: work in every training step for nothing. Checked on the PyTorch fixtures' models
 * (grad-check.test.ts) with several choices of what trains; the parameter names come from the
 * fixtures' JSON, not from the code under test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx/model.ts';
import { buildTrainingGraph } from './training-graph.ts';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/train-grad');
const CASES = ['bn-train', 'residual-concat-kd', 'bn-frozen', 'ops-mix', 'opset10-clip', 'conv-paths', 'bn-5d'];

/** Nodes of `model` none of whose outputs reaches a graph output (walked back from the outputs). */
function deadNodes(model: ModelProto): string[] {
  const nodes = model.graph!.node;
  const live = new Set(model.graph!.output.map((o) => o.name));
  const dead: string[] = [];
  for (let k = nodes.length - 1; k >= 0; k--) {
    if (nodes[k].output.some((o) => live.has(o))) for (const i of nodes[k].input) live.add(i);
    else dead.push(`${nodes[k].opType} -> ${nodes[k].output.join(', ')}`);
  }
  return dead;
}

const isWeight = (name: string) => /(^|_)w_\d+$/.test(name);

describe.skipIf(!existsSync(resolve(FIXTURES, 'conv-paths.json')))('the training graph has no node whose result is dropped', () => {
  for (const name of CASES) {
    it(name, () => {
      const meta = JSON.parse(readFileSync(resolve(FIXTURES, `${name}.json`), 'utf8')) as { batchNorm: 'train' | 'frozen'; kd?: { weight: number; temperature: number }; params: { name: string }[] };
      const model = decodeModel(readFileSync(resolve(FIXTURES, `${name}.onnx`)));
      const all = meta.params.map((p) => p.name);
      const choices: Record<string, string[]> = {
        all,
        'weights only': all.filter(isWeight),
        'biases and BN parameters only': all.filter((n) => !isWeight(n)),
        'the second half': all.slice(Math.floor(all.length / 2)),
        'the last parameter': all.slice(-1),
      };
      for (const [what, trainable] of Object.entries(choices)) {
        const graph = buildTrainingGraph(model, { batchNorm: meta.batchNorm, kd: meta.kd, trainable });
        expect(graph.params.map((p) => p.name), what).toEqual(trainable);
        expect(deadNodes(graph.model), `${name}, training ${what}`).toEqual([]);
      }
    });
  }
});

/** Channel importance: how much each channel of a group is worth keeping. */
import { attrInt } from '../graph/graph.ts';
import type { ChannelAnalysis, ChannelGroup } from './groups.ts';

/**
 * - `l1`: sum of |w| of each producing filter (conv output filter, FC output column) - the default.
 * - `l2`: Euclidean norm of each producing filter.
 * - `bn-gamma`: |gamma| of the group's BatchNormalization nodes (network slimming); groups without
 *   a BatchNormalization node with a stored scale (e.g. BN already folded) fall back to `l1`.
 * With several producers (a residual Add ties them) the per-producer scores are summed.
 */
export type Criterion = 'l1' | 'l2' | 'bn-gamma';
export const CRITERIA: readonly Criterion[] = ['l1', 'l2', 'bn-gamma'];

export interface Importance {
  /** One score per channel of the group. */
  scores: number[];
  /** The criterion actually used (bn-gamma falls back to l1 without BN nodes). */
  criterion: Criterion;
}

/**
 * Scores depend only on the group's constant weights, which never change once a model is loaded;
 * the explorer re-plans on every slider step, so they are computed once per group and criterion.
 */
const computed = new WeakMap<ChannelGroup, Map<Criterion, Importance>>();

export function channelImportance(analysis: ChannelAnalysis, group: ChannelGroup, criterion: Criterion = 'l1'): Importance {
  let byCriterion = computed.get(group);
  if (!byCriterion) computed.set(group, (byCriterion = new Map()));
  let known = byCriterion.get(criterion);
  if (!known) byCriterion.set(criterion, (known = computeImportance(analysis, group, criterion)));
  return { scores: [...known.scores], criterion: known.criterion };
}

/** The importance without the per-group cache (for a caller that visits every group once). */
export function computeImportance(analysis: ChannelAnalysis, group: ChannelGroup, criterion: Criterion): Importance {
  const graph = analysis.graph;
  const scores = new Array<number>(group.size).fill(0);
  if (criterion === 'bn-gamma') {
    // Only BatchNormalization nodes whose scale is a stored constant (not, e.g., dequantized at run time).
    const bns = group.members.flatMap((m) => {
      const gamma = m.role === 'batchnorm' ? graph.constant(graph.node(m.node)!.inputs[1])?.values : undefined;
      return gamma ? [{ m, gamma }] : [];
    });
    if (bns.length) {
      for (const { m, gamma } of bns) {
        for (let c = 0; c < group.size; c++) {
          for (let i = 0; i < m.inner; i++) scores[c] += Math.abs(gamma[m.offset + c * m.inner + i]);
        }
      }
      return { scores, criterion };
    }
    criterion = 'l1';
  }
  const norm = criterion === 'l2' ? (sumSq: number) => Math.sqrt(sumSq) : (sumAbs: number) => sumAbs;
  const add = criterion === 'l2' ? (acc: number, w: number) => acc + w * w : (acc: number, w: number) => acc + Math.abs(w);
  for (const m of group.members) {
    if (m.role !== 'conv-out' && m.role !== 'fc-out') continue;
    const node = graph.node(m.node)!;
    const w = graph.constant(node.inputs[1]);
    if (!w) continue;
    if (m.role === 'conv-out') {
      const per = w.values.length / w.dims[0];
      for (let c = 0; c < group.size; c++) {
        let acc = 0;
        for (let i = 0; i < per; i++) acc = add(acc, w.values[(m.offset + c) * per + i]);
        scores[c] += norm(acc);
      }
    } else {
      // Gemm: B is [K, N] (transB = 0) or [N, K]; MatMul: B is [K, N].
      const transB = node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
      const [rows, cols] = w.dims;
      for (let c = 0; c < group.size; c++) {
        let acc = 0;
        const j = m.offset + c;
        if (transB) for (let k = 0; k < cols; k++) acc = add(acc, w.values[j * cols + k]);
        else for (let k = 0; k < rows; k++) acc = add(acc, w.values[k * cols + j]);
        scores[c] += norm(acc);
      }
    }
  }
  return { scores, criterion };
}

/**
 * The `keep` most important channels, in ascending index order. Ranking is by score (highest
 * first); equal scores keep the lower channel index, so plans are deterministic.
 */
export function topChannels(scores: readonly number[], keep: number): number[] {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, keep).sort((a, b) => a - b);
}

/**
 * Sweep planning: which points a request asks for, which of them are the same model, and how
 * they are grouped into units (one curve, one shared prefix) with a cost for scheduling.
 */
import { badInput } from '../errors.ts';
import { Graph } from '../graph/graph.ts';
import { COMPUTE_KINDS } from '../graph/layer.ts';
import { layerView } from '../graph/layers.ts';
import { inferShapes } from '../graph/shapes.ts';
import type { ModelProto } from '../onnx/model.ts';
import { analyzeChannels, keptCount, type ChannelAnalysis } from '../prune/index.ts';
import { isComputeLayer } from '../quant/calibrate.ts';
import { foldBatchNorm } from '../quant/fold.ts';
import { pruneCut } from './split.ts';
import { BITS_MAX, BITS_MIN } from '../quant/grid.ts';
import {
  DEFAULT_SCHEME,
  type GroupInfo,
  type LayerCost,
  type QuantScheme,
  type SweepKind,
  type SweepPoint,
  type SweepRequest,
  type SweepSettings,
  type SweepUnit,
} from './types.ts';

const WEIGHT_ROLES = new Set(['conv-out', 'conv-in', 'depthwise', 'fc-out', 'fc-in']);

/** The model a sweep works on, with the analyses every point shares (built once per worker). */
export class SweepModel {
  readonly original: ModelProto;
  readonly originalGraph: Graph;
  readonly analysis: ChannelAnalysis;
  private foldedCache?: { model: ModelProto; graph: Graph };

  constructor(model: ModelProto) {
    this.original = model;
    this.analysis = analyzeChannels(model);
    this.originalGraph = this.analysis.graph;
  }

  /** The BN-folded model (what applyConfig quantizes), analysed. */
  get folded(): { model: ModelProto; graph: Graph } {
    if (!this.foldedCache) {
      const model = foldBatchNorm(this.original).model;
      const graph = model === this.original ? this.originalGraph : new Graph(model);
      if (graph !== this.originalGraph) inferShapes(graph);
      this.foldedCache = { model, graph };
    }
    return this.foldedCache;
  }

  base(which: 'original' | 'folded'): { model: ModelProto; graph: Graph } {
    return which === 'original' ? { model: this.original, graph: this.originalGraph } : this.folded;
  }
}

export interface SweepPlan {
  settings: SweepSettings;
  /** Every requested point, in output order (curve by curve). */
  points: SweepPoint[];
  /** Work units; the baseline is its own unit (first). */
  units: SweepUnit[];
  groups: GroupInfo[];
  layers: LayerCost[];
  macs: number;
  params: number;
}

export function resolveScheme(partial: Partial<QuantScheme> = {}): QuantScheme {
  return {
    granularity: partial.granularity ?? DEFAULT_SCHEME.granularity,
    scale: partial.scale ?? DEFAULT_SCHEME.scale,
    rounding: partial.rounding ?? DEFAULT_SCHEME.rounding,
    calibration: { ...DEFAULT_SCHEME.calibration, ...(partial.calibration ?? {}) },
  };
}

function checkList(values: number[], field: string, ok: (v: number) => boolean, what: string): number[] {
  if (!Array.isArray(values) || !values.length) throw badInput(`${field} must list at least one value.`, field);
  for (const v of values) if (!ok(v)) throw badInput(`${field}: ${JSON.stringify(v)} is not ${what}.`, field);
  return [...new Set(values)];
}

/** Layer costs and group membership of the original model (what the predictor and allocator count). */
export function layerCosts(sm: SweepModel): { layers: LayerCost[]; groups: GroupInfo[] } {
  const { analysis } = sm;
  const graph = sm.originalGraph;
  const prunable = new Map(analysis.groups.filter((g) => g.prunable).map((g) => [g.id, g]));
  const groupOfTensor = (t: string) => {
    const layout = analysis.layouts.get(t);
    return layout?.length === 1 && prunable.has(layout[0].group) ? layout[0].group : undefined;
  };
  const layers: LayerCost[] = [];
  for (const info of layerView(graph)) {
    if (!COMPUTE_KINDS.has(info.kind)) continue;
    const node = graph.node(info.name)!;
    const wShape = graph.shape(node.inputs[1]) ?? [];
    const weights = wShape.reduce<number>((n, d) => n * (d ?? 1), 1);
    const outGroup = groupOfTensor(node.outputs[0]);
    const inGroup = groupOfTensor(node.inputs[0]);
    layers.push({
      name: info.name,
      kind: info.kind,
      macs: info.macs,
      params: info.params,
      weights,
      ...(outGroup ? { outGroup } : {}),
      ...(inGroup ? { inGroup } : {}),
      depthwise: info.kind === 'depthwise',
      quantizable: isComputeLayer(graph, info.name),
    });
  }
  const groups: GroupInfo[] = [...prunable.values()].map((g) => ({
    id: g.id,
    size: g.size,
    producers: g.producers,
    layers: [...new Set(g.members.filter((m) => WEIGHT_ROLES.has(m.role)).map((m) => m.node))],
  }));
  return { layers, groups };
}

/** Floats of the largest activation a batch may hold (16 MiB): keeps every worker's memory bounded for large inputs. */
const BATCH_ACTIVATION_FLOATS = 4 * 2 ** 20;
const MAX_BATCH = 100;

/**
 * Images per run when the request does not say: 100, or fewer when one image's largest
 * activation is big (a 224 x 224 MobileNet gets about 10), so that a worker holding several
 * suffix sessions stays far from the 4 GiB of wasm memory.
 */
export function autoBatchSize(graph: Graph): number {
  let largest = 1;
  for (const node of graph.nodes) {
    for (const t of node.outputs) {
      const shape = t ? graph.shape(t) : undefined;
      if (!shape || shape.length < 2) continue;
      largest = Math.max(largest, shape.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1));
    }
  }
  return Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_ACTIVATION_FLOATS / largest)));
}

export function planSweep(sm: SweepModel, request: SweepRequest): SweepPlan {
  const scheme = resolveScheme(request.scheme);
  const batchSize = request.batchSize ?? autoBatchSize(sm.originalGraph);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw badInput(`batchSize must be a positive integer, got ${batchSize}.`, 'batchSize');
  if (request.limit !== undefined && (!Number.isInteger(request.limit) || request.limit < 1)) {
    throw badInput(`limit must be a positive integer, got ${request.limit}.`, 'limit');
  }
  const earlyStop = request.earlyStop ?? null;
  if (earlyStop && !(earlyStop.maxDrop > 0 && earlyStop.maxDrop <= 1)) {
    throw badInput(`earlyStop.maxDrop is a fraction of top-1 (0.05 = 5 points), above 0 and at most 1; got ${earlyStop.maxDrop}.`, 'earlyStop.maxDrop');
  }
  const settings: SweepSettings = {
    prune: request.prune
      ? {
          ratios: checkList(request.prune.ratios, 'prune', (r) => typeof r === 'number' && r >= 0 && r < 1, 'a ratio from 0 up to (not including) 1').sort((a, b) => a - b),
          roundTo: request.prune.roundTo ?? 1,
          criterion: request.prune.criterion ?? 'l1',
        }
      : null,
    weightBits: request.weightBits ? checkList(request.weightBits.bits, 'bits', (b) => Number.isInteger(b) && b >= BITS_MIN && b <= BITS_MAX, `an integer from ${BITS_MIN} to ${BITS_MAX}`).sort((a, b) => b - a) : null,
    activationBits: request.activationBits
      ? checkList(request.activationBits.bits, 'act-bits', (b) => Number.isInteger(b) && b >= BITS_MIN && b <= 8, `an integer from ${BITS_MIN} to 8`).sort((a, b) => b - a)
      : null,
    scheme,
    batchSize,
    earlyStop,
  };
  if (settings.prune && (!Number.isInteger(settings.prune.roundTo) || settings.prune.roundTo < 1)) {
    throw badInput(`roundTo must be a positive integer, got ${settings.prune.roundTo}.`, 'roundTo');
  }

  const { layers, groups } = layerCosts(sm);
  const macs = layers.reduce((n, l) => n + l.macs, 0);
  const params = layers.reduce((n, l) => n + l.params, 0);
  const units: SweepUnit[] = [];
  const points: SweepPoint[] = [];

  // Cumulative MACs in front of each node, for unit costs.
  const before = (graph: Graph, index: number) => {
    let sum = 0;
    for (const l of layers) {
      const node = graph.node(l.name);
      if (node && node.index < index) sum += l.macs;
    }
    return sum;
  };
  const cost = (graph: Graph, index: number, n: number) => {
    const prefixCost = before(graph, index);
    const pointCost = macs - prefixCost;
    return { cost: prefixCost + n * pointCost, prefixCost, pointCost };
  };

  units.push({ id: 'baseline', kind: 'baseline', target: '', base: 'original', cutIndex: 0, points: [{ kind: 'prune', target: '', layer: '', value: 0, modelKey: 'baseline' }], cost: macs, prefixCost: 0, pointCost: macs });

  if (settings.prune) {
    const { ratios, roundTo, criterion } = settings.prune;
    const wanted = request.prune?.groups;
    for (const id of wanted ?? []) {
      if (!groups.some((g) => g.id === id)) throw badInput(`There is no prunable channel group "${id}" (groups: ${groups.map((g) => g.id).join(', ')}).`, 'groups');
    }
    for (const g of groups) {
      if (wanted && !wanted.includes(g.id)) continue;
      const layer = g.producers[0] ?? g.id;
      const curve: SweepPoint[] = ratios.map((r) => {
        const keep = keptCount(g.size, r, roundTo);
        return { kind: 'prune', target: g.id, layer, value: r, keep, size: g.size, modelKey: keep >= g.size ? 'baseline' : `prune|${g.id}|${criterion}|${keep}` };
      });
      points.push(...curve);
      const distinct = uniqueModels(curve);
      if (!distinct.length) continue;
      const group = sm.analysis.groups.find((x) => x.id === g.id)!;
      const cutIndex = Math.min(...group.members.map((m) => sm.originalGraph.node(m.node)?.index ?? Infinity));
      // Cost as the wasm engine runs it: suffixes start after the group's channel-local ops.
      const suffixStart = pruneCut(sm.analysis, g.id).index;
      units.push({ id: `prune:${g.id}`, kind: 'prune', target: g.id, base: 'original', cutIndex, points: distinct, ...cost(sm.originalGraph, suffixStart, distinct.length) });
    }
  }

  // Without BN to fold the folded model is the original: bit curves then share tasks (and prefixes) with prune curves.
  const bitBase = sm.folded.model === sm.original ? 'original' : 'folded';
  const bitUnits = (kind: SweepKind, bits: number[] | null, only: string[] | undefined) => {
    if (!bits) return;
    const folded = sm.folded.graph;
    const quantizable = layers.filter((l) => l.quantizable && isComputeLayer(folded, l.name)).map((l) => l.name);
    for (const name of only ?? []) {
      if (!quantizable.includes(name)) throw badInput(`"${name}" is not a Conv/Gemm/MatMul layer with constant weights (layers: ${quantizable.join(', ')}).`, 'layers');
    }
    const s = scheme;
    for (const name of quantizable) {
      if (only && !only.includes(name)) continue;
      const curve: SweepPoint[] = bits.map((b) => ({
        kind,
        target: name,
        layer: name,
        value: b,
        modelKey:
          kind === 'weight-bits'
            ? `wbits|${name}|${b}|${s.granularity}|${s.scale}|${s.rounding}`
            : `abits|${name}|${b}|${s.granularity}|${s.scale}|${s.rounding}|${s.calibration.method}|${s.calibration.percentile}|${s.calibration.images ?? 'all'}`,
      }));
      points.push(...curve);
      const cutIndex = folded.node(name)!.index;
      units.push({ id: `${kind}:${name}`, kind, target: name, base: bitBase, cutIndex, points: curve, ...cost(folded, cutIndex, curve.length) });
    }
  };
  bitUnits('weight-bits', settings.weightBits, request.weightBits?.layers);
  bitUnits('act-bits', settings.activationBits, request.activationBits?.layers);
  return { settings, points, units, groups, layers, macs, params };
}

/** Distinct models of a curve, baseline excluded, first occurrence kept. */
function uniqueModels(curve: SweepPoint[]): SweepPoint[] {
  const seen = new Set<string>(['baseline']);
  return curve.filter((p) => (seen.has(p.modelKey) ? false : (seen.add(p.modelKey), true)));
}

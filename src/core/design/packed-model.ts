/**
 * The transfer format of an opened model from the model worker to the page. A structured clone
 * of the analysed model as objects (a few objects per layer, group and layout) cost the page's
 * thread more than analysing the model again (Chromium, 100k-node chain); packed into one string
 * table and one Float64Array it is copied in one piece, and the page rebuilds the objects in one
 * tight loop (docs/decisions.md, "The page no longer rebuilds the accepted model").
 */
import { blankLayer, type LayerInfo, type LayerKind, type Shape } from '../graph/layer.ts';
import type { Segment } from '../prune/groups.ts';
import type { ChannelPlanning, GroupSummary, ImportanceTable, LayerChannels } from '../prune/planning.ts';
import type { ModelSummary } from '../graph/layers.ts';
import type { OpenedModel } from './opened-model.ts';

export interface PackedModel {
  summary: ModelSummary;
  classNames?: string[];
  /** JSON array of every string the numbers refer to (by index). */
  strings: string;
  numbers: Float64Array;
  importance?: ImportanceTable;
}

class Writer {
  readonly numbers: number[] = [];
  readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  num(value: number): void {
    this.numbers.push(value);
  }
  str(value: string | null | undefined): void {
    if (value === null || value === undefined) return this.num(-1);
    let i = this.stringIndex.get(value);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(value);
      this.stringIndex.set(value, i);
    }
    this.num(i);
  }
  /** null dims are NaN. */
  dims(values: readonly (number | null)[]): void {
    this.num(values.length);
    for (const v of values) this.num(v ?? NaN);
  }
  strs(values: readonly (string | null)[]): void {
    this.num(values.length);
    for (const v of values) this.str(v);
  }
}

class Reader {
  private at = 0;
  constructor(
    private readonly numbers: Float64Array,
    private readonly strings: string[],
  ) {}
  num(): number {
    if (this.at >= this.numbers.length) throw new Error('packed model: ran past the end of its numbers');
    return this.numbers[this.at++];
  }
  str(): string {
    const s = this.strOrNull();
    if (s === null) throw new Error('packed model: a required string is missing');
    return s;
  }
  strOrNull(): string | null {
    const i = this.num();
    return i < 0 ? null : this.strings[i];
  }
  dims(): (number | null)[] {
    const n = this.num();
    const out: (number | null)[] = new Array(n);
    for (let k = 0; k < n; k++) {
      const v = this.num();
      out[k] = Number.isNaN(v) ? null : v;
    }
    return out;
  }
  strs(): (string | null)[] {
    const n = this.num();
    const out: (string | null)[] = new Array(n);
    for (let k = 0; k < n; k++) out[k] = this.strOrNull();
    return out;
  }
  done(): void {
    if (this.at !== this.numbers.length) throw new Error('packed model: numbers left over');
  }
}

const pair = (r: Reader): [number, number] => [r.num(), r.num()];

export function packOpenedModel(opened: OpenedModel): PackedModel {
  const w = new Writer();
  const planning = opened.context.analysis;
  w.num(planning.layers.length);
  for (const l of planning.layers) {
    w.str(l.name);
    w.str(l.op);
    w.str(l.kind);
    w.str(l.poolType);
    w.dims(l.inputShape);
    w.dims(l.outputShape);
    w.num(l.kernel[0]);
    w.num(l.kernel[1]);
    w.num(l.stride[0]);
    w.num(l.stride[1]);
    for (let k = 0; k < 4; k++) w.num(l.pads[k]);
    w.num(l.dilation[0]);
    w.num(l.dilation[1]);
    w.num(l.groups);
    w.num(l.params);
    w.num(l.macs);
    w.num(l.hasBias ? 1 : 0);
    w.str(l.reason);
    if (l.sources) w.strs(l.sources);
    else w.num(-1);
  }
  // Layouts are shared between the layers that carry the same channels: each is written once.
  const layouts = new Map<readonly Segment[], number>();
  const layoutIndex = (layout: readonly Segment[] | null) => {
    if (!layout) return -1;
    let i = layouts.get(layout);
    if (i === undefined) layouts.set(layout, (i = layouts.size));
    return i;
  };
  const channelRows = planning.channels.map((c) => (c ? [layoutIndex(c.input), layoutIndex(c.output)] : null));
  w.num(layouts.size);
  for (const layout of layouts.keys()) {
    w.num(layout.length);
    for (const seg of layout) {
      w.str(seg.group);
      w.num(seg.size);
      w.num(seg.offset);
      w.num(seg.inner);
    }
  }
  planning.channels.forEach((c, i) => {
    if (!c) return w.num(-2);
    const [input, output] = channelRows[i]!;
    w.num(input);
    w.num(output);
    w.num(c.inputChannels);
    w.num(c.outputChannels);
    w.num(c.kernelElements);
    w.num(c.outputPixels);
    if (c.fc) {
      w.num(1);
      w.num(c.fc.rows);
      w.num(c.fc.weightOutFeatures);
    } else w.num(0);
  });
  w.num(planning.groups.length);
  for (const g of planning.groups) {
    w.str(g.id);
    w.num(g.size);
    w.strs(g.producers);
    w.num(g.prunable ? 1 : 0);
    w.strs(g.reasons);
  }
  w.num(planning.layerGroup.size);
  for (const [layer, group] of planning.layerGroup) {
    w.str(layer);
    w.str(group);
  }
  return {
    summary: opened.context.summary,
    ...(opened.view.classNames ? { classNames: opened.view.classNames } : {}),
    strings: JSON.stringify(w.strings),
    numbers: Float64Array.from(w.numbers),
    ...(planning.importance ? { importance: planning.importance } : {}),
  };
}

export function unpackOpenedModel(packed: PackedModel): OpenedModel {
  const r = new Reader(packed.numbers, JSON.parse(packed.strings) as string[]);
  const layers: LayerInfo[] = new Array(r.num());
  for (let i = 0; i < layers.length; i++) {
    const name = r.str();
    const op = r.str();
    const layer = blankLayer(name, op, r.str() as LayerKind);
    const poolType = r.strOrNull();
    if (poolType !== null) layer.poolType = poolType as LayerInfo['poolType'];
    layer.inputShape = r.dims() as Shape;
    layer.outputShape = r.dims() as Shape;
    layer.kernel = pair(r);
    layer.stride = pair(r);
    layer.pads = [r.num(), r.num(), r.num(), r.num()];
    layer.dilation = pair(r);
    layer.groups = r.num();
    layer.params = r.num();
    layer.macs = r.num();
    layer.hasBias = r.num() === 1;
    const reason = r.strOrNull();
    if (reason !== null) layer.reason = reason;
    const sourceCount = r.num();
    if (sourceCount >= 0) {
      const sources: (string | null)[] = new Array(sourceCount);
      for (let k = 0; k < sourceCount; k++) sources[k] = r.strOrNull();
      layer.sources = sources;
    }
    layers[i] = layer;
  }
  const layouts: Segment[][] = new Array(r.num());
  for (let i = 0; i < layouts.length; i++) {
    const segs: Segment[] = new Array(r.num());
    for (let k = 0; k < segs.length; k++) segs[k] = { group: r.str(), size: r.num(), offset: r.num(), inner: r.num() };
    layouts[i] = segs;
  }
  const layout = (i: number) => (i < 0 ? null : layouts[i]);
  const channels: (LayerChannels | null)[] = new Array(layers.length);
  for (let i = 0; i < layers.length; i++) {
    const input = r.num();
    if (input === -2) {
      channels[i] = null;
      continue;
    }
    const c: LayerChannels = { input: layout(input), output: layout(r.num()), inputChannels: r.num(), outputChannels: r.num(), kernelElements: r.num(), outputPixels: r.num(), fc: null };
    if (r.num() === 1) c.fc = { rows: r.num(), weightOutFeatures: r.num() };
    channels[i] = c;
  }
  const groups: GroupSummary[] = new Array(r.num());
  for (let i = 0; i < groups.length; i++) {
    groups[i] = { id: r.str(), size: r.num(), producers: r.strs() as string[], prunable: r.num() === 1, reasons: r.strs() as string[] };
  }
  const layerGroup = new Map<string, string>();
  for (let n = r.num(); n > 0; n--) layerGroup.set(r.str(), r.str());
  r.done();
  const analysis: ChannelPlanning = { groups, layerGroup, layers, channels, ...(packed.importance ? { importance: packed.importance } : {}) };
  return {
    view: { summary: packed.summary, layers, ...(packed.classNames ? { classNames: packed.classNames } : {}) },
    context: { summary: packed.summary, analysis },
  };
}

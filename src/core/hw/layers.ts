/**
 * Maps the layer view (src/core/graph) onto the engine chains FINN builds for each layer:
 * - conv (k > 1):    [FMPadding] -> sliding window -> MVAU -> Thresholding
 * - pointwise:        [DownSampler if stride > 1] -> MVAU -> Thresholding
 * - depthwise:        [FMPadding] -> depthwise sliding window -> VVAU -> Thresholding
 * - fc:               MVAU -> Thresholding
 * - max/avg pool:     [FMPadding] -> depthwise sliding window -> Pool, or StreamingMaxPool when
 *                     the window tiles the input (kernel == stride, no padding)
 * - global avg pool:  GlobalAccPool;  global max pool: StreamingMaxPool over the whole map
 * - Add of two activations: AddStreams -> Thresholding
 * The last compute layer keeps its accumulators (no Thresholding), as FINN's noActivation=1.
 * Thresholding is a separate engine (FINN's standalone_thresholds=True), which is what lets
 * FINN use its DSP-packing RTL MVU.
 * Source: Xilinx/finn @ 39f0c9a6b, src/finn/transformation/fpgadataflow/convert_to_hw_layers.py.
 */
import { COMPUTE_KINDS, type LayerInfo, type Shape } from '../graph/layer.ts';
import { accumulatorBits } from './engines/common.ts';
import { DEFAULT_BITS, type EngineSpec, type FoldDims, type HwLayer, type LayerBits } from './types.ts';

/** Per-layer bits: by layer name, or aligned with the layer list. Missing entries default to 8/8. */
export type BitsInput = Record<string, Partial<LayerBits>> | (Partial<LayerBits> | undefined)[];

function bitsFor(bits: BitsInput | undefined, layer: LayerInfo, index: number): LayerBits {
  const entry = Array.isArray(bits) ? bits[index] : bits?.[layer.name];
  return { ...DEFAULT_BITS, ...(entry ?? {}) };
}

/** [C, H, W] of an NCHW shape (or [C, 1, 1] of an [N, C] shape), or null when not fully known. */
function chw(shape: Shape): [number, number, number] | null {
  const dims = shape.slice(1);
  if (dims.length === 0 || dims.some((d) => d === null || d === undefined || d <= 0)) return null;
  const n = dims as number[];
  if (n.length === 1) return [n[0], 1, 1];
  if (n.length === 2) return [n[0], n[1], 1];
  return [n[0], n[1], n[2]];
}


function unmappable(layer: LayerInfo, bits: LayerBits, reason: string): HwLayer {
  return {
    name: layer.name,
    op: layer.op,
    layerKind: layer.kind,
    mappable: false,
    reason,
    bits,
    engines: [],
    main: -1,
    fold: { pe: 1, peLabel: '-', simd: 1, simdLabel: '-' },
    macs: layer.macs,
    params: layer.params,
  };
}

function mapped(layer: LayerInfo, bits: LayerBits, engines: EngineSpec[], main: number, fold: FoldDims): HwLayer {
  return {
    name: layer.name,
    op: layer.op,
    layerKind: layer.kind,
    mappable: true,
    bits,
    engines,
    main,
    fold,
    macs: layer.macs,
    params: layer.params,
  };
}

/** Padding + sliding window in front of a windowed engine; returns the engines and the padded dims. */
function windowFront(layer: LayerInfo, c: number, h: number, w: number, ofm: [number, number], depthwise: boolean): EngineSpec[] {
  const [pt, pl, pb, pr] = layer.pads;
  const engines: EngineSpec[] = [];
  if (pt + pl + pb + pr > 0) engines.push({ kind: 'fmpadding', channels: c, imgDim: [h, w], pads: [pt, pl, pb, pr] });
  engines.push({
    kind: 'sliding-window',
    channels: c,
    ifmDim: [h + pt + pb, w + pl + pr],
    ofmDim: ofm,
    kernel: layer.kernel,
    stride: layer.stride,
    dilation: layer.dilation,
    depthwise,
    ...(pt + pl + pb + pr > 0 ? { pads: [pt, pl, pb, pr] as [number, number, number, number] } : {}),
  });
  return engines;
}

function mapLayer(layer: LayerInfo, bits: LayerBits, withThreshold: boolean, outBits: number): HwLayer {
  if (layer.kind === 'unsupported') return unmappable(layer, bits, layer.reason ?? `operator ${layer.op} is not supported`);
  if (layer.kind === 'grouped') {
    return unmappable(layer, bits, `grouped convolution (groups=${layer.groups}) has no FINN engine; only group 1 and depthwise convolutions are lowered`);
  }
  const input = chw(layer.inputShape);
  const output = chw(layer.outputShape);
  if (!input || !output) return unmappable(layer, bits, 'input or output shape is not fully known');
  const [cin, h, w] = input;
  const [cout, ho, wo] = output;
  const threshold = (channels: number, numVectors: number, thresholdBits: number): EngineSpec[] =>
    withThreshold ? [{ kind: 'thresholding', channels, numVectors, thresholdBits, outBits, ...(bits.requantBiasBits !== undefined ? { biasBits: bits.requantBiasBits } : {}) }] : [];
  // With no requantiser after it (the last layer) the MVAU adds the bias itself, as the generator builds it (rtl/design.ts).
  const lastBias = !withThreshold && layer.hasBias ? { bias: true } : {};

  switch (layer.kind) {
    case 'conv': {
      const mw = layer.kernel[0] * layer.kernel[1] * cin;
      const engines = windowFront(layer, cin, h, w, [ho, wo], false);
      const main = engines.length;
      engines.push({ kind: 'mvau', mw, mh: cout, numVectors: ho * wo, ...lastBias });
      engines.push(...threshold(cout, ho * wo, accumulatorBits(mw, bits.weightBits, bits.actBits, bits.actSigned)));
      return mapped(layer, bits, engines, main, { pe: cout, peLabel: 'output channels', simd: mw, simdLabel: 'k*k*Cin' });
    }
    case 'pointwise': {
      if (layer.pads.some((p) => p > 0)) return unmappable(layer, bits, 'padded 1x1 convolution is not supported');
      const engines: EngineSpec[] = [];
      const [sh, sw] = layer.stride;
      if (sh > 1 || sw > 1) {
        if (sh !== sw || h !== w) return unmappable(layer, bits, 'strided 1x1 convolution needs a square input and equal strides (FINN DownSampler)');
        engines.push({ kind: 'downsampler', channels: cin, imgDim: h, stride: sh });
      }
      const main = engines.length;
      engines.push({ kind: 'mvau', mw: cin, mh: cout, numVectors: ho * wo, ...lastBias });
      engines.push(...threshold(cout, ho * wo, accumulatorBits(cin, bits.weightBits, bits.actBits, bits.actSigned)));
      return mapped(layer, bits, engines, main, { pe: cout, peLabel: 'output channels', simd: cin, simdLabel: 'input channels' });
    }
    case 'depthwise': {
      if (cout !== cin) return unmappable(layer, bits, `depthwise convolution with channel multiplier ${cout / cin} has no FINN engine (VVAU needs Cout = Cin)`);
      const engines = windowFront(layer, cin, h, w, [ho, wo], true);
      const main = engines.length;
      const k2 = layer.kernel[0] * layer.kernel[1];
      engines.push({ kind: 'vvau', channels: cin, kernel: layer.kernel, outDim: [ho, wo] });
      engines.push(...threshold(cin, ho * wo, accumulatorBits(k2, bits.weightBits, bits.actBits, bits.actSigned)));
      return mapped(layer, bits, engines, main, { pe: cin, peLabel: 'channels', simd: k2, simdLabel: 'k*k' });
    }
    case 'fc': {
      const inFeatures = Number(layer.inputShape[layer.inputShape.length - 1]);
      const outFeatures = Number(layer.outputShape[layer.outputShape.length - 1]);
      if (!(inFeatures > 0) || !(outFeatures > 0)) return unmappable(layer, bits, 'feature counts are not known');
      const rows = Math.max(1, Math.round(layer.macs / (inFeatures * outFeatures)));
      const engines: EngineSpec[] = [{ kind: 'mvau', mw: inFeatures, mh: outFeatures, numVectors: rows, ...lastBias }];
      engines.push(...threshold(outFeatures, rows, accumulatorBits(inFeatures, bits.weightBits, bits.actBits, bits.actSigned)));
      return mapped(layer, bits, engines, 0, { pe: outFeatures, peLabel: 'output features', simd: inFeatures, simdLabel: 'input features' });
    }
    case 'pool': {
      const type = layer.poolType;
      if (type === 'global-avg') {
        return mapped(layer, bits, [{ kind: 'global-acc-pool', channels: cin, inDim: [h, w] }], 0, { pe: cin, peLabel: 'channels', simd: 1, simdLabel: '-' });
      }
      if (type === 'global-max') {
        return mapped(layer, bits, [{ kind: 'streaming-maxpool', channels: cin, imgDim: [h, w], poolDim: [h, w] }], 0, { pe: 1, peLabel: '-', simd: 1, simdLabel: '-' });
      }
      const [kh, kw] = layer.kernel;
      const [sh, sw] = layer.stride;
      const padded = layer.pads.some((p) => p > 0);
      if (kh < sh || kw < sw) return unmappable(layer, bits, 'pooling with stride larger than the kernel is not supported (FINN InferPool)');
      if (type === 'max' && !padded && kh === sh && kw === sw && h > 1 && w > 1 && (h % kh === 0 || w % kw === 0)) {
        return mapped(layer, bits, [{ kind: 'streaming-maxpool', channels: cin, imgDim: [h, w], poolDim: [kh, kw] }], 0, { pe: 1, peLabel: '-', simd: 1, simdLabel: '-' });
      }
      if (type === 'avg' && padded) return unmappable(layer, bits, 'padded average pooling is not supported (FINN QuantAvgPool has no padding)');
      if (type !== 'max' && type !== 'avg') return unmappable(layer, bits, `pool type ${type ?? 'unknown'} is not supported`);
      const engines = windowFront(layer, cin, h, w, [ho, wo], true);
      const main = engines.length;
      engines.push({ kind: 'pool', fn: type, channels: cin, kernel: layer.kernel, outDim: [ho, wo] });
      return mapped(layer, bits, engines, main, { pe: cin, peLabel: 'channels', simd: 1, simdLabel: '-' });
    }
    case 'elementwise': {
      if (layer.op !== 'Add' && layer.op !== 'Sum') return unmappable(layer, bits, `elementwise ${layer.op} of two activations has no streaming engine in this model (only Add)`);
      const engines: EngineSpec[] = [{ kind: 'add-streams', channels: cout, numVectors: ho * wo }];
      engines.push(...threshold(cout, ho * wo, bits.actBits + 1));
      return mapped(layer, bits, engines, 0, { pe: cout, peLabel: 'channels', simd: 1, simdLabel: '-' });
    }
    default:
      return unmappable(layer, bits, `layer kind ${layer.kind} is not supported`);
  }
}

const sameShape = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => i === 0 || d === b[i]);

/**
 * The layer view as engine chains. `bits` gives per-layer weight/activation bits (default 8/8).
 * Layers are taken in the view's (topological) order. The skip input of an Add is the source
 * (LayerInfo.sources, from the graph) that is not its branch's latest layer; for a layer view
 * without sources (hand-built), the nearest earlier layer, before the Add's direct predecessor,
 * with the same output shape (the inverted-residual pattern). It sets the bypass FIFO's depth.
 */
/** The skip input's layer index (-1: the network input) from an Add's graph sources; undefined when they do not say. */
function skipFromSources(layers: LayerInfo[], add: LayerInfo): number | undefined {
  if (add.sources?.length !== 2) return undefined;
  const idx = add.sources.map((name) => (name === null ? -1 : layers.findIndex((l) => l.name === name)));
  if (idx.some((j) => j < -1) || (add.sources[0] !== null && idx[0] < 0) || (add.sources[1] !== null && idx[1] < 0) || idx[0] === idx[1]) return undefined;
  // The branch is the later source (the chain runs through it to the Add); the skip the earlier.
  return Math.min(idx[0], idx[1]);
}

export function hwLayersFromLayerView(layers: LayerInfo[], bits?: BitsInput): HwLayer[] {
  let lastCompute = -1;
  layers.forEach((l, i) => {
    if (COMPUTE_KINDS.has(l.kind)) lastCompute = i;
  });
  const allBits = layers.map((l, i) => bitsFor(bits, l, i));
  return layers.map((layer, i) => {
    const b = allBits[i];
    const next = allBits[i + 1];
    // Every compute layer and Add before the last compute layer requantises its output.
    const hw = mapLayer(layer, b, i < lastCompute, next?.actBits ?? b.actBits);
    if (hw.mappable && layer.kind === 'elementwise') {
      const fromGraph = skipFromSources(layers, layer);
      let skip = fromGraph ?? -1;
      for (let j = i - 2; fromGraph === undefined && j >= 0; j--) {
        if (sameShape(layers[j].outputShape, layer.outputShape)) {
          skip = j;
          break;
        }
      }
      hw.skipFrom = skip;
    }
    return hw;
  });
}

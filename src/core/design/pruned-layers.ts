import { CONV_KINDS, type LayerInfo } from '../graph/layer.ts';
import { keptChannels, type ChannelPlanning } from '../prune/planning.ts';


/**
 * The layer view as it will be after keeping `keep` channels, computed from the original graph
 * without doing the surgery (cheap enough for every slider move). Shapes, groups, params and
 * MACs follow the layer view's conventions, so they equal loadModel() of the pruned file.
 */
export function prunedLayerView(planning: ChannelPlanning, keep: ReadonlyMap<string, readonly number[]>): LayerInfo[] {
  const layers = planning.layers;
  if (keep.size === 0) return [...layers];
  return layers.map((layer, i) => {
    const ch = planning.channels[i];
    if (!ch) return layer;
    const keptIn = () => keptChannels(ch.input, ch.inputChannels, keep);
    const keptOut = () => keptChannels(ch.output, ch.outputChannels, keep);
    const withChannels = (shape: LayerInfo['inputShape'], channels: number) =>
      shape.length >= 2 ? [shape[0], channels, ...shape.slice(2)] : shape;
    if (CONV_KINDS.has(layer.kind)) {
      const cin = keptIn();
      const cout = keptOut();
      const k = layer.kernel[0] * layer.kernel[1];
      const groups = layer.kind === 'depthwise' ? cin : layer.groups;
      const pixels = layer.outputShape.slice(2).reduce<number>((a, d) => a * (d ?? 1), 1);
      return {
        ...layer,
        inputShape: withChannels(layer.inputShape, cin),
        outputShape: withChannels(layer.outputShape, cout),
        groups,
        params: cout * (cin / groups) * k + (layer.hasBias ? cout : 0),
        macs: cout * pixels * (cin / groups) * k,
      };
    }
    if (layer.kind === 'fc') {
      const inF = ch.input ? keptIn() : (layer.inputShape.at(-1) ?? 0);
      const outF = ch.output ? keptOut() : (layer.outputShape.at(-1) ?? 0);
      const rows = layer.outputShape.slice(1, -1).reduce<number>((a, d) => a * (d ?? 1), 1);
      return {
        ...layer,
        inputShape: [...layer.inputShape.slice(0, -1), inF],
        outputShape: [...layer.outputShape.slice(0, -1), outF],
        params: (inF as number) * (outF as number) + (layer.hasBias ? (outF as number) : 0),
        macs: rows * (inF as number) * (outF as number),
      };
    }
    // Pooling and elementwise layers keep their geometry; only the channel count moves.
    const cin = ch.input ? keptIn() : layer.inputShape[1];
    const cout = ch.output ? keptOut() : layer.outputShape[1];
    return {
      ...layer,
      inputShape: withChannels(layer.inputShape, cin ?? 0),
      outputShape: withChannels(layer.outputShape, cout ?? 0),
    };
  });
}

import { describe, expect, it } from 'vitest';
import { hwLayersFromLayerView } from '../hw/layers.ts';
import { COMPUTE_KINDS, CONV_KINDS, isComputeKind, type LayerInfo } from './layer.ts';

describe('compute layer kinds: one definition', () => {
  it('lists the layers with weights', () => {
    expect([...COMPUTE_KINDS].sort()).toEqual(['conv', 'depthwise', 'fc', 'grouped', 'pointwise']);
    expect([...CONV_KINDS].sort()).toEqual(['conv', 'depthwise', 'grouped', 'pointwise']);
    expect(['pool', 'elementwise', 'unsupported', '', undefined].map(isComputeKind)).toEqual([false, false, false, false, false]);
    expect(isComputeKind('grouped')).toBe(true);
  });

  it('the hardware view counts a grouped convolution as a compute layer too', () => {
    // A trailing grouped conv (unmappable) is the last compute layer, so the FC before it requantises its output.
    const base: Pick<LayerInfo, 'op' | 'stride' | 'pads' | 'dilation' | 'params' | 'macs' | 'hasBias'> = { op: 'Conv', stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], params: 0, macs: 32, hasBias: false };
    const fc: LayerInfo = { ...base, name: 'fc', op: 'Gemm', kind: 'fc', inputShape: [null, 8], outputShape: [null, 4], kernel: [1, 1], groups: 1 };
    const grouped: LayerInfo = { ...base, name: 'g', kind: 'grouped', inputShape: [null, 4, 1, 1], outputShape: [null, 4, 1, 1], kernel: [1, 1], groups: 2 };
    const hw = hwLayersFromLayerView([fc, grouped]);
    expect(hw[0].engines.map((e) => e.kind)).toEqual(['mvau', 'thresholding']);
    expect(hw[1].mappable).toBe(false);
  });
});

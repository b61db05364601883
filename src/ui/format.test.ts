import { describe, expect, it } from 'vitest';
import { numberLayerNames } from './format.ts';

describe('numberLayerNames', () => {
  it('puts the table number in place of each layer name, longer names first', () => {
    const names = ['Conv_1', 'Conv_12', 'functional_1/activation_2/Relu;functional_1/batch_normalization_2/FusedBatchNormV3'];
    expect(numberLayerNames('max FPS: 6250.0 FPS, bottleneck functional_1/activation_2/Relu;functional_1/batch_normalization_2/FusedBatchNormV3', names)).toBe('max FPS: 6250.0 FPS, bottleneck #3');
    expect(numberLayerNames('bottleneck Conv_12 then Conv_1', names)).toBe('bottleneck #2 then #1');
    expect(numberLayerNames('no layer here', names)).toBe('no layer here');
  });
});

import { describe, expect, it } from 'vitest';
import { defaultDesign } from '../core/design/design.ts';
import { describeDifference, pointsToCsv, pointsToJson, sortPoints } from './points-table.ts';
import type { DesignPoint } from './store/types.ts';

const point = (name: string, fps: number, top1: number | null): DesignPoint => ({
  id: name,
  name,
  createdAt: '2026-12-03T11:00:00.000Z',
  modelSha256: 'a'.repeat(64),
  design: defaultDesign(),
  metrics: { params: 1000, macs: 20000, fps, latencyMs: 1.5, powerW: 0.3, gopsPerWatt: 8.5, dsp: 12, bram18: 30, lut: 12345, ff: 23456, fits: true, measuredTop1: top1, measuredCi95: null, measuredImages: top1 === null ? null : 1000, rawTop1: null, recovery: null },
});

describe('design points table', () => {
  const points = [point('slow, "best"', 100, 0.93), point('fast', 900, 0.9), point('unmeasured', 400, null)];

  it('sorts by a column either way, unmeasured points last', () => {
    expect(sortPoints(points, { column: 'fps', descending: true }).map((p) => p.name)).toEqual(['fast', 'unmeasured', 'slow, "best"']);
    expect(sortPoints(points, { column: 'top1', descending: false }).map((p) => p.name)).toEqual(['fast', 'slow, "best"', 'unmeasured']);
    expect(sortPoints(points, { column: 'top1', descending: true }).map((p) => p.name)).toEqual(['slow, "best"', 'fast', 'unmeasured']);
  });

  it('exports CSV with every column and quoted names, and JSON with the designs', () => {
    const csv = pointsToCsv(points).trim().split('\n');
    expect(csv[0]).toBe('name,created,top1,rawTop1,fps,latencyMs,lut,ff,dsp,bram18,powerW,gopsPerWatt,params,macs,measuredImages,recovery,fits');
    expect(csv[1]).toBe('"slow, ""best""",2026-12-03T11:00:00.000Z,0.93,,100,1.5,12345,23456,12,30,0.3,8.5,1000,20000,1000,,true');
    expect(csv[3].split(',')[2]).toBe(''); // unmeasured top-1 stays empty, not 0
    const json = JSON.parse(pointsToJson(points));
    expect(json.format).toBe('edgefold-design-points');
    expect(json.points[1].design.compression.prune.roundTo).toBe(8);
  });
});

describe('compare view lines', () => {
  const numbers = new Map([['/blocks/blocks.5/pw/conv/Conv', 13]]);
  it('names layers by table number and settings by column, with the values the table shows', () => {
    expect(describeDifference({ layer: '/blocks/blocks.5/pw/conv/Conv', field: 'activationBits', a: 8, b: null }, numbers)).toEqual({
      layer: '#13',
      title: '/blocks/blocks.5/pw/conv/Conv',
      setting: 'A bits',
      from: '8',
      to: 'float',
    });
    expect(describeDifference({ layer: 'hardware', field: 'budget', a: 0.8, b: 0.5 }, numbers)).toMatchObject({ layer: 'hardware', setting: 'budget', from: '80 %', to: '50 %' });
    expect(describeDifference({ layer: '(all layers)', field: 'prune.roundTo', a: 8, b: 1 }, numbers)).toMatchObject({ setting: 'channels multiple of', from: '8', to: '1' });
  });
});

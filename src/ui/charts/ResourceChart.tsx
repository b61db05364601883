import { memo } from 'react';
import { useSettledValue } from './settled.ts';
import type { DesignMetrics } from '../../core/design/design.ts';
import { useApp } from '../store/index.ts';
import { useDesignMetrics } from '../store/derived.ts';
import { ChartCard } from './ChartCard.tsx';
import { BarsSvg, type BarDatum } from './BarsSvg.tsx';
import { Provenance } from '../components/Provenance.tsx';

const LABELS = { dsp: 'DSP', bram: 'BRAM18', lut: 'LUT', ff: 'FF' } as const;
const USED = [{ name: 'used', color: '#5a4fb3' }];
const PER_LAYER = [
  { name: 'DSP', color: '#2459c9' },
  { name: 'BRAM18', color: '#1f7a3d' },
  { name: 'LUT/100', color: '#8a5a00' },
];

export function ResourceChart() {
  const metrics = useSettledValue(useDesignMetrics().metrics);
  const budget = useApp((s) => s.design.hardware.budget);
  return metrics ? <ResourceChartView metrics={metrics} budget={budget} /> : null;
}

const ResourceChartView = memo(function ResourceChartView({ metrics, budget }: { metrics: DesignMetrics; budget: number }) {
  const e = metrics.estimate;
  const resources = Object.keys(LABELS) as (keyof typeof LABELS)[];
  const data: BarDatum[] = resources.map((r) => {
    const { utilization, used, available } = e.resources[r];
    const percent = utilization === null ? 0 : Math.round(1000 * utilization) / 10;
    return {
      label: LABELS[r],
      title: `${LABELS[r]}: ${utilization === null ? 'device count unknown' : `${percent} %`} (${used.toLocaleString('en-US')} / ${available?.toLocaleString('en-US') ?? 'unknown'})`,
      values: [percent],
    };
  });
  const unknown = resources.filter((r) => e.resources[r].available === null).map((r) => LABELS[r]);
  // Numbered as in the layer table.
  const perLayer: BarDatum[] = e.layers
    .map((l, i) => ({ l, i }))
    .filter(({ l }) => l.mappable)
    .map(({ l, i }) => ({
      label: String(i + 1),
      title: `#${i + 1} ${l.name}: DSP ${l.dsp}, BRAM18 ${l.bram18}, LUT ${l.lut.toLocaleString('en-US')}`,
      values: [l.dsp, l.bram18, Math.round(l.lut / 100)],
    }));
  return (
    <ChartCard
      id="resources"
      title={
        <>
          Resources vs budget on {e.device.name} <Provenance kind="estimated" />
        </>
      }
      note={`Utilization in % of the device; the dashed line is the budget (${Math.round(budget * 100)} %). Below: per layer.${
        unknown.length ? ` ${e.device.name}: ${unknown.join(', ')} count unknown in the catalog, so that use is not checked.` : ''
      }`}
    >
      <BarsSvg data={data} series={USED} height={105} horizontal minMax={100} unit=" %" reference={{ value: budget * 100, color: '#c62828' }} label="Resource utilization vs budget" />
      <BarsSvg data={perLayer} series={PER_LAYER} height={105} legend axisWidth={36} label="Resources per layer" />
    </ChartCard>
  );
});

import { memo } from 'react';
import { useSettledValue } from './settled.ts';
import type { DesignMetrics } from '../../core/design/design.ts';
import { useDesignMetrics } from '../store/derived.ts';
import { ChartCard } from './ChartCard.tsx';
import { BarsSvg, type BarDatum } from './BarsSvg.tsx';
import { Provenance } from '../components/Provenance.tsx';

const SERIES = [{ name: 'cycles', color: '#2459c9' }];

/** Charts follow the design after the table and cards have painted (useSettledValue), so a slider stays responsive. */
export function CyclesChart() {
  const metrics = useSettledValue(useDesignMetrics().metrics);
  return metrics ? <CyclesChartView metrics={metrics} /> : null;
}

const CyclesChartView = memo(function CyclesChartView({ metrics }: { metrics: DesignMetrics }) {
  const data: BarDatum[] = metrics.estimate.layers
    .map((l, i) => ({ l, i }))
    .filter(({ l }) => l.cycles > 0)
    .map(({ l, i }) => ({
      label: String(i + 1),
      title: `#${i + 1} ${l.name}: ${l.cycles.toLocaleString('en-US')} cycles${l.isBottleneck ? ' (bottleneck)' : ''}`,
      values: [l.cycles],
      color: l.isBottleneck ? '#c62828' : undefined,
    }));
  return (
    <ChartCard
      id="cycles"
      title={
        <>
          Cycles per frame by layer <Provenance kind="estimated" />
        </>
      }
      note="FINN's cycle formulas; the slowest engine (red) sets the frame rate."
    >
      <BarsSvg data={data} series={SERIES} height={150} categoryTitle="layer #" label="Cycles per frame by layer" />
    </ChartCard>
  );
});

import { memo } from 'react';
import { useSettledValue } from './settled.ts';
import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis, ResponsiveContainer } from 'recharts';
import type { DesignMetrics } from '../../core/design/design.ts';
import { useDesignMetrics } from '../store/derived.ts';
import { ChartCard } from './ChartCard.tsx';
import { Provenance } from '../components/Provenance.tsx';

/** Charts follow the design after the table and cards have painted (useSettledValue), so a slider stays responsive. */
export function CyclesChart() {
  const metrics = useSettledValue(useDesignMetrics().metrics);
  return metrics ? <CyclesChartView metrics={metrics} /> : null;
}

const CyclesChartView = memo(function CyclesChartView({ metrics }: { metrics: DesignMetrics }) {
  const data = metrics.estimate.layers
    .map((l, i) => ({ index: i + 1, name: l.name, cycles: l.cycles, bottleneck: l.isBottleneck }))
    .filter((d) => d.cycles > 0);
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
      <ResponsiveContainer width="100%" height={150}>
        <BarChart data={data} margin={{ top: 8, right: 12, bottom: 8, left: 12 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="index" label={{ value: 'layer #', position: 'insideBottom', offset: -4 }} />
          <YAxis width={70} tickFormatter={(v: number) => (v >= 1000 ? `${Math.round(v / 1000)}k` : String(v))} />
          <Tooltip formatter={(v) => [Number(v).toLocaleString('en-US'), 'cycles']} labelFormatter={(_, p) => p?.[0]?.payload?.name ?? ''} />
          <Bar dataKey="cycles" isAnimationActive={false}>
            {data.map((d) => (
              <Cell key={d.name} fill={d.bottleneck ? '#c62828' : '#2459c9'} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});

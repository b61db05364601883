import { memo } from 'react';
import { useSettledValue } from './settled.ts';
import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, Tooltip, XAxis, YAxis, ResponsiveContainer } from 'recharts';
import type { DesignMetrics } from '../../core/design/design.ts';
import { useApp } from '../store/index.ts';
import { useDesignMetrics } from '../store/derived.ts';
import { ChartCard } from './ChartCard.tsx';
import { Provenance } from '../components/Provenance.tsx';

const LABELS = { dsp: 'DSP', bram: 'BRAM18', lut: 'LUT', ff: 'FF' } as const;

export function ResourceChart() {
  const metrics = useSettledValue(useDesignMetrics().metrics);
  const budget = useApp((s) => s.design.hardware.budget);
  return metrics ? <ResourceChartView metrics={metrics} budget={budget} /> : null;
}

const ResourceChartView = memo(function ResourceChartView({ metrics, budget }: { metrics: DesignMetrics; budget: number }) {
  const e = metrics.estimate;
  const data = (Object.keys(LABELS) as (keyof typeof LABELS)[]).map((r) => ({
    resource: LABELS[r],
    used: e.resources[r].utilization === null ? 0 : Math.round(1000 * e.resources[r].utilization!) / 10,
    detail: `${e.resources[r].used.toLocaleString('en-US')} / ${e.resources[r].available?.toLocaleString('en-US') ?? 'unknown'}`,
  }));
  const unknown = (Object.keys(LABELS) as (keyof typeof LABELS)[]).filter((r) => e.resources[r].available === null).map((r) => LABELS[r]);
  const perLayer = e.layers
    .filter((l) => l.mappable)
    .map((l, i) => ({ index: i + 1, name: l.name, DSP: l.dsp, BRAM18: l.bram18, 'LUT/100': Math.round(l.lut / 100) }));
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
      <ResponsiveContainer width="100%" height={105}>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 12 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" domain={[0, (max: number) => Math.max(100, Math.ceil(max / 10) * 10)]} unit=" %" />
          <YAxis type="category" dataKey="resource" width={56} interval={0} tick={{ fontSize: 11 }} />
          <Tooltip formatter={(v, _n, p) => [`${v} % (${p.payload.detail})`, 'used']} />
          <ReferenceLine x={budget * 100} stroke="#c62828" strokeDasharray="4 4" />
          <Bar dataKey="used" fill="#5a4fb3" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
      <ResponsiveContainer width="100%" height={105}>
        <BarChart data={perLayer} margin={{ top: 8, right: 12, bottom: 4, left: 12 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="index" />
          <YAxis width={50} />
          <Tooltip labelFormatter={(_, p) => p?.[0]?.payload?.name ?? ''} />
          <Legend verticalAlign="top" height={20} />
          <Bar dataKey="DSP" stackId="a" fill="#2459c9" isAnimationActive={false} />
          <Bar dataKey="BRAM18" stackId="a" fill="#1f7a3d" isAnimationActive={false} />
          <Bar dataKey="LUT/100" stackId="a" fill="#8a5a00" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});

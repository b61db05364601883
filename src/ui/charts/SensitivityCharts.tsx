import { memo, useMemo } from 'react';
import { useSettledValue } from './settled.ts';
import { CartesianGrid, Legend, Line, LineChart, ReferenceDot, Tooltip, XAxis, YAxis, ResponsiveContainer, type LegendPayload } from 'recharts';
import type { CompressionConfig } from '../../core/config/compression.ts';
import { configSettings, sweepCurves } from '../../core/sensitivity/predictor.ts';
import type { SweepKind, SweepResult } from '../../core/sensitivity/types.ts';
import { useApp } from '../store/index.ts';
import { useActiveSweep } from '../store/derived.ts';
import { ChartCard } from './ChartCard.tsx';
import { Provenance } from '../components/Provenance.tsx';

/** Legend entries in table order (#7 before #13); recharts sorts them as text by default. */
const byTableNumber = (item: LegendPayload) => Number(/^#(\d+)$/.exec(String(item.value))?.[1] ?? Number.MAX_SAFE_INTEGER);

const COLORS = ['#2459c9', '#c62828', '#1f7a3d', '#8a5a00', '#5a4fb3', '#00838f', '#ad1457', '#6d4c41', '#546e7a', '#f57c00', '#2e7d32', '#283593', '#9e9d24'];

function curveChart(sweep: SweepResult, kind: SweepKind, current: Map<string, number>, selected: string[], tableNumber: Map<string, number>) {
  const curves = [...sweepCurves(sweep)].filter(([key]) => key.startsWith(`${kind}|`));
  const shown = curves.filter(([key]) => !selected.length || selected.some((s) => key.endsWith(`|${s}`) || sweep.groups.find((g) => key.endsWith(`|${g.id}`))?.producers.includes(s)));
  // Curves are named by the layer table's numbers (a group by its first producer) and listed in that order.
  const numberOf = (key: string) => {
    const target = key.slice(kind.length + 1);
    const layer = sweep.groups.find((g) => g.id === target)?.producers[0] ?? target;
    return tableNumber.get(layer) ?? Number.MAX_SAFE_INTEGER;
  };
  const list = (shown.length ? shown : curves).sort(([a], [b]) => numberOf(a) - numberOf(b));
  // Bit curves carry the float baseline at x = 32; the axis stops at the widest swept width.
  const xs = [...new Set(list.flatMap(([, c]) => c.x))].filter((x) => kind === 'prune' || x <= 16).sort((a, b) => a - b);
  const label = (key: string) => {
    const n = numberOf(key);
    return n === Number.MAX_SAFE_INTEGER ? key.slice(kind.length + 1) : `#${n}`;
  };
  const data = xs.map((x) => {
    const row: Record<string, number> = { x };
    for (const [key, c] of list) {
      const i = c.x.indexOf(x);
      if (i >= 0) row[label(key)] = Math.round(c.y[i] * 10000) / 100;
    }
    return row;
  });
  // The range that matters: down to 25 points below the baseline; a collapsed 2-bit point would squash the rest.
  const values = data.flatMap((row) => Object.entries(row).filter(([k]) => k !== 'x').map(([, v]) => v));
  const lowest = Math.max(Math.floor(Math.min(...values, 100) / 5) * 5, Math.floor((100 * sweep.baseline.top1 - 25) / 5) * 5);
  const markers = list.flatMap(([key, c], i) => {
    const x = current.get(key.slice(kind.length + 1)) ?? (kind === 'prune' ? 0 : undefined);
    if (x !== undefined && kind !== 'prune' && x > 16) return [];
    if (x === undefined) return [];
    const j = c.x.reduce((best, v, k) => (Math.abs(v - x) < Math.abs(c.x[best] - x) ? k : best), 0);
    return [{ key, x: c.x[j], y: Math.round(c.y[j] * 10000) / 100, color: COLORS[i % COLORS.length] }];
  });
  return (
    <ResponsiveContainer width="100%" height={240}>
      <LineChart data={data} margin={{ top: 8, right: 16, bottom: 16, left: 12 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis
          dataKey="x"
          type="number"
          domain={kind === 'prune' ? [0, 1] : ['dataMin', 'dataMax']}
          ticks={kind === 'prune' ? [0, 0.2, 0.4, 0.6, 0.8, 1] : xs}
          tickFormatter={(v: number) => (kind === 'prune' ? v.toFixed(1) : String(v))}
          label={{ value: kind === 'prune' ? 'prune ratio' : 'bits', position: 'insideBottom', offset: -8 }} />
        <YAxis width={60} unit=" %" domain={[lowest, 'auto']} allowDataOverflow tickFormatter={(v: number) => v.toFixed(0)} />
        <Tooltip />
        {/* Above the plot: below it, the legend sat on the x axis title. */}
        <Legend verticalAlign="top" height={24} itemSorter={byTableNumber} />
        {list.map(([key], i) => (
          <Line key={key} dataKey={label(key)} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} connectNulls />
        ))}
        {markers.map((m) => (
          <ReferenceDot key={m.key} x={m.x} y={m.y} r={5} fill={m.color} stroke="black" />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}

/** Per-layer sensitivity curves (measured), with the current design's setting of each layer marked. */
export function SensitivityCharts() {
  const result = useActiveSweep();
  const compression = useSettledValue(useApp((s) => s.design.compression));
  const selected = useApp((s) => s.selectedLayers);
  const layers = useApp((s) => s.model?.loaded.layers);
  const tableNumber = useMemo(() => new Map((layers ?? []).map((l, i) => [l.name, i + 1])), [layers]);
  return result ? <SensitivityChartsView result={result} compression={compression} selected={selected} tableNumber={tableNumber} /> : null;
}

const SensitivityChartsView = memo(function SensitivityChartsView({
  result,
  compression,
  selected,
  tableNumber,
}: {
  result: SweepResult;
  compression: CompressionConfig;
  selected: string[];
  tableNumber: Map<string, number>;
}) {
  const settings = configSettings(result, compression);
  const note = `Top-1 on ${result.data.n.toLocaleString('en-US')} ${result.data.name} images, one layer changed at a time; dots mark the current design.${
    selected.length ? ' Showing the selected layers.' : ' Select rows in the layer table to show only those.'
  }`;
  return (
    <>
      {result.settings.prune && (
        <ChartCard
          id="sensitivity-prune"
          title={
            <>
              Prune sensitivity <Provenance kind="measured" />
            </>
          }
          note={note}
        >
          {curveChart(result, 'prune', settings.prune, selected, tableNumber)}
        </ChartCard>
      )}
      {result.settings.weightBits && (
        <ChartCard
          id="sensitivity-bits"
          title={
            <>
              Weight-bit sensitivity <Provenance kind="measured" />
            </>
          }
          note={note}
        >
          {curveChart(result, 'weight-bits', settings.weightBits, selected, tableNumber)}
        </ChartCard>
      )}
    </>
  );
});

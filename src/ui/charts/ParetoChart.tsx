import { CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis, ResponsiveContainer } from 'recharts';
import { useApp } from '../store/index.ts';
import { ChartCard } from './ChartCard.tsx';
import { Provenance } from '../components/Provenance.tsx';

/** The FPS-vs-resource Pareto curve that auto-fold explored. */
export function ParetoChart() {
  const result = useApp((s) => s.autoFold.result);
  if (!result) return null;
  // Designs that do not fit on the device at all are left off the plot (they squash the useful range).
  const onDevice = result.pareto.filter((p) => p.maxUtilization <= 1);
  const hidden = result.pareto.length - onDevice.length;
  const data = onDevice.map((p) => ({ util: Math.round(p.maxUtilization * 1000) / 10, fps: Math.round(p.fps * 10) / 10, dsp: p.dsp, lut: p.lut, bram18: p.bram18 }));
  return (
    <ChartCard
      id="pareto"
      title={
        <>
          Auto-fold: FPS vs resources <Provenance kind="estimated" />
        </>
      }
      note={`${result.message} (${result.evaluated} foldings evaluated). x: the most-used resource in % of the device.${
        hidden ? ` ${hidden} faster Pareto point(s) need more than the whole device and are not drawn.` : ''
      }`}
    >
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 16, left: 12 }}>
          <CartesianGrid strokeDasharray="3 3" />
           <XAxis dataKey="util" type="number" unit=" %" domain={[0, 100]} label={{ value: 'max utilization', position: 'insideBottom', offset: -8 }} />
          <YAxis dataKey="fps" width={70} label={{ value: 'FPS', angle: -90, position: 'insideLeft' }} />
          <Tooltip formatter={(v, n) => [v, n]} />
          <Line type="stepAfter" dataKey="fps" stroke="#2459c9" dot isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

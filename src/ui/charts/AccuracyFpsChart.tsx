import { useDeferredValue } from 'react';
import { CartesianGrid, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis, Legend } from 'recharts';
import { paretoMax } from '../../core/design/pareto.ts';
import { designKey, useApp } from '../store/index.ts';
import { useDesignMetrics } from '../store/derived.ts';
import { ChartCard } from './ChartCard.tsx';

interface Point {
  name: string;
  fps: number;
  top1: number;
  detail: string;
}

/** Saved design points (measured accuracy vs estimated FPS), their Pareto front, and the current design. */
export function AccuracyFpsChart() {
  const points = useApp((s) => s.points);
  const model = useApp((s) => s.model);
  const measured = useApp((s) => s.measured);
  const design = useApp((s) => s.design);
  const evalLimit = useApp((s) => s.evalLimit);
  const metrics = useDeferredValue(useDesignMetrics().metrics);
  const mine = points.filter((p) => p.modelSha256 === model?.sha256 && p.metrics.measuredTop1 !== null);
  const data: Point[] = mine.map((p) => ({
    name: p.name,
    fps: Math.round(p.metrics.fps * 10) / 10,
    top1: Math.round(p.metrics.measuredTop1! * 10000) / 100,
    detail: `${p.metrics.params.toLocaleString('en-US')} params, DSP ${p.metrics.dsp}, ${p.metrics.powerW.toFixed(2)} W`,
  }));
  const front = paretoMax(data, (d) => d.fps, (d) => d.top1).sort((a, b) => a.fps - b.fps);
  const own = measured.result && measured.result.designKey === designKey(design, evalLimit) ? measured.result : null;
  const current: Point[] =
    metrics && own ? [{ name: 'current design', fps: Math.round(metrics.estimate.fps * 10) / 10, top1: Math.round(own.top1 * 10000) / 100, detail: 'not saved yet' }] : [];
  const unmeasured = points.filter((p) => p.modelSha256 === model?.sha256).length - mine.length;
  return (
    <ChartCard
      id="accuracy-fps"
      title="Accuracy vs FPS of design points"
      note={
        <>
          y: top-1 <em>measured</em> in a worker; x: FPS <em>estimated</em> by the pipeline model. The line joins the Pareto front
          (no other point is both faster and more accurate).{unmeasured > 0 ? ` ${unmeasured} saved point(s) without a measurement are not shown.` : ''}
        </>
      }
    >
      <ScatterChart width={580} height={280} margin={{ top: 8, right: 16, bottom: 16, left: 12 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="fps" type="number" name="FPS" label={{ value: 'FPS (estimated)', position: 'insideBottom', offset: -8 }} />
        <YAxis dataKey="top1" type="number" name="top-1" unit=" %" domain={['auto', 'auto']} width={70} />
        <ZAxis range={[70, 70]} />
        <Tooltip
          cursor={{ strokeDasharray: '3 3' }}
          content={({ payload }) => {
            const p = payload?.[0]?.payload as Point | undefined;
            return p ? (
              <div className="tooltip">
                <strong>{p.name}</strong>
                <div>
                  {p.top1.toFixed(2)} % top-1 · {p.fps} FPS
                </div>
                <div>{p.detail}</div>
              </div>
            ) : null;
          }}
        />
        <Legend />
        <Scatter name="design points" data={data} fill="#2459c9" isAnimationActive={false} />
        <Scatter name="Pareto front" data={front} fill="#1f7a3d" line={{ stroke: '#1f7a3d' }} lineType="joint" isAnimationActive={false} shape="diamond" />
        <Scatter name="current" data={current} fill="#c62828" shape="star" isAnimationActive={false} />
      </ScatterChart>
    </ChartCard>
  );
}

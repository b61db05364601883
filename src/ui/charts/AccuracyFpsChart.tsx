import { memo } from 'react';
import { useSettledValue } from './settled.ts';
import { CartesianGrid, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis, Legend, ResponsiveContainer } from 'recharts';
import { paretoMax } from '../../core/design/pareto.ts';
import { currentAccuracy, useApp, type DesignPoint } from '../store/index.ts';
import { useDesignMetrics } from '../store/derived.ts';
import { ChartCard } from './ChartCard.tsx';
import { frontierOfModel } from '../store/frontier-slice.ts';
import { frontierOf, type FrontierPoint } from '../../core/design/frontier.ts';

interface Point {
  name: string;
  fps: number;
  top1: number;
  detail: string;
}

/** Saved design points (measured accuracy vs estimated FPS), their Pareto front, and the current design. */
export function AccuracyFpsChart() {
  const points = useApp((s) => s.points);
  const modelSha256 = useApp((s) => s.model?.sha256 ?? null);
  const metrics = useDesignMetrics().metrics;
  const own = useApp(currentAccuracy);
  // The current point as one primitive, settled: a drag that passes over a measured design would
  // otherwise re-render the scatter (30-50 ms of recharts) inside that step, twice.
  const current = useSettledValue(metrics && own ? `${Math.round(metrics.estimate.fps * 10) / 10} ${Math.round(own.top1 * 10000) / 100}` : '');
  const [currentFps, currentTop1] = current ? current.split(' ').map(Number) : [null, null];
  const search = useApp(frontierOfModel);
  return <AccuracyFpsView points={points} modelSha256={modelSha256} currentFps={currentFps} currentTop1={currentTop1} search={search} />;
}

/** Memoized on primitive props: a slider move (no measurement yet) does not re-draw the scatter. */
const AccuracyFpsView = memo(function AccuracyFpsView({
  points,
  modelSha256,
  currentFps,
  currentTop1,
  search,
}: {
  points: DesignPoint[];
  modelSha256: string | null;
  currentFps: number | null;
  currentTop1: number | null;
  /** Points of the joint search (measured), for the measured frontier and the allocator's predictions. */
  search: FrontierPoint[];
}) {
  const model = { sha256: modelSha256 };
  const mine = points.filter((p) => p.modelSha256 === model?.sha256 && p.metrics.measuredTop1 !== null);
  const data: Point[] = mine.map((p) => ({
    name: p.name,
    fps: Math.round(p.metrics.fps * 10) / 10,
    top1: Math.round(p.metrics.measuredTop1! * 10000) / 100,
    detail: `${p.metrics.params.toLocaleString('en-US')} params, DSP ${p.metrics.dsp}, ${p.metrics.powerW.toFixed(2)} W`,
  }));
  const front = paretoMax(data, (d) => d.fps, (d) => d.top1).sort((a, b) => a.fps - b.fps);
  const current: Point[] = currentFps !== null && currentTop1 !== null ? [{ name: 'current design', fps: currentFps, top1: currentTop1, detail: 'not saved yet' }] : [];
  // The joint search: its measured frontier, and what the raw sweep curves predicted for the same designs.
  const searchPoint = (p: FrontierPoint, top1: number, what: string): Point => ({
    name: `search: ${p.label}`,
    fps: Math.round(p.fps * 10) / 10,
    top1: Math.round(top1 * 10000) / 100,
    detail: `${what}; LUT ${Math.round(p.lut)}, DSP ${p.dsp}, BRAM18 ${p.bram18}`,
  });
  const measuredFront = frontierOf(search).map((p) => searchPoint(p, p.measured.top1, `measured on ${p.measured.n} images${p.recovered ? ' after reconstruction' : ''}`));
  const predicted = search.map((p) => searchPoint(p, p.predicted.top1, 'predicted from the raw sweep curves'));
  const unmeasured = points.filter((p) => p.modelSha256 === model?.sha256).length - mine.length;
  return (
    <ChartCard
      id="accuracy-fps"
      title="Accuracy vs FPS of design points"
      note={
        <>
          y: top-1 <em>measured</em> in a worker; x: FPS <em>estimated</em> by the pipeline model. The line joins the Pareto front
          (no other point is both faster and more accurate).{search.length > 0 ? ' Purple: the joint search, squares measured, rings predicted from the raw sweep curves.' : ''}{unmeasured > 0 ? ` ${unmeasured} saved point(s) without a measurement are not shown.` : ''}
        </>
      }
    >
      <ResponsiveContainer width="100%" height={175}>
        <ScatterChart margin={{ top: 8, right: 16, bottom: 16, left: 12 }}>
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
          <Legend verticalAlign="top" height={22} />
          <Scatter name="design points" data={data} fill="#2459c9" isAnimationActive={false} />
          <Scatter name="Pareto front" data={front} fill="#1f7a3d" line={{ stroke: '#1f7a3d' }} lineType="joint" isAnimationActive={false} shape="diamond" />
          {measuredFront.length > 0 && (
            <Scatter name="search frontier (measured)" data={measuredFront} fill="#8e24aa" line={{ stroke: '#8e24aa', strokeDasharray: '4 2' }} lineType="joint" isAnimationActive={false} shape="square" />
          )}
          {predicted.length > 0 && <Scatter name="search (predicted)" data={predicted} fill="none" stroke="#8e24aa" isAnimationActive={false} shape="circle" />}
          <Scatter name="current" data={current} fill="#c62828" shape="star" isAnimationActive={false} />
        </ScatterChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});

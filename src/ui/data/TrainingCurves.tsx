import { memo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartCard } from '../charts/ChartCard.tsx';
import { Provenance } from '../components/Provenance.tsx';
import type { CurvePoint } from '../store/data-slice.ts';

/**
 * Train / validation loss and accuracy per iteration of the head's training, as they arrive.
 * Memoized: its panels re-render on every design move, and two recharts charts would cost ~10 ms per slider step.
 */
export const TrainingCurves = memo(function TrainingCurves({ id, curve, title }: { id: string; curve: CurvePoint[]; title: string }) {
  const hasVal = curve.some((p) => p.valAccuracy !== undefined);
  const data = curve.map((p) => ({
    iteration: p.iteration,
    trainLoss: p.trainLoss,
    valLoss: p.valLoss,
    trainAccuracy: 100 * p.trainAccuracy,
    valAccuracy: p.valAccuracy === undefined ? undefined : 100 * p.valAccuracy,
  }));
  const note = hasVal
    ? 'Cross-entropy and top-1 of the new head on the training and validation features, per iteration.'
    : 'Cross-entropy and top-1 on the training features (there is no validation split).';
  return (
    <div className="data-curves">
      <ChartCard
        id={`${id}-loss`}
        title={
          <>
            {title}: loss <Provenance kind="measured" />
          </>
        }
        note={note}
      >
        <LineChart width={440} height={220} data={data} margin={{ top: 8, right: 16, bottom: 16, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="iteration" type="number" domain={[0, 'dataMax']} label={{ value: 'iteration', position: 'insideBottom', offset: -8 }} />
          <YAxis width={56} domain={[0, 'auto']} tickFormatter={(v: number) => v.toFixed(2)} />
          <Tooltip formatter={(v) => Number(v).toFixed(4)} />
          <Legend verticalAlign="top" height={24} />
          <Line name="train loss" dataKey="trainLoss" stroke="#2459c9" dot={false} isAnimationActive={false} />
          {hasVal && <Line name="validation loss" dataKey="valLoss" stroke="#c62828" dot={false} isAnimationActive={false} />}
        </LineChart>
      </ChartCard>
      <ChartCard
        id={`${id}-accuracy`}
        title={
          <>
            {title}: accuracy <Provenance kind="measured" />
          </>
        }
        note={note}
      >
        <LineChart width={440} height={220} data={data} margin={{ top: 8, right: 16, bottom: 16, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="iteration" type="number" domain={[0, 'dataMax']} label={{ value: 'iteration', position: 'insideBottom', offset: -8 }} />
          <YAxis width={56} unit=" %" domain={[0, 100]} />
          <Tooltip formatter={(v) => `${Number(v).toFixed(2)} %`} />
          <Legend verticalAlign="top" height={24} />
          <Line name="train top-1" dataKey="trainAccuracy" stroke="#2459c9" dot={false} isAnimationActive={false} />
          {hasVal && <Line name="validation top-1" dataKey="valAccuracy" stroke="#c62828" dot={false} isAnimationActive={false} />}
        </LineChart>
      </ChartCard>
    </div>
  );
});

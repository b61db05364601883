import { useState } from 'react';
import { useApp } from '../store/index.ts';

/** The long jobs: measure the current design, auto-fold. Each shows progress and can be cancelled. */
export function JobsBar() {
  const measured = useApp((s) => s.measured);
  const autoFoldJob = useApp((s) => s.autoFold);
  const { measureDesign, cancelMeasure, runAutoFold } = useApp.getState();
  const [objective, setObjective] = useState<'max-fps' | 'target'>('max-fps');
  const [targetFps, setTargetFps] = useState(366);
  const pct = (p: { done: number; total: number }) => Math.round((100 * p.done) / Math.max(1, p.total));
  return (
    <section className="jobs" aria-label="Jobs">
      <div className="job-group">
        <span className="job-title">Measured accuracy</span>
        {measured.status === 'running' ? (
          <>
            <progress value={measured.progress.done} max={measured.progress.total || 1} aria-label="Measuring the current design" data-testid="measure-progress" />
            <span>{pct(measured.progress)} %</span>
            <button type="button" onClick={cancelMeasure}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" onClick={() => void measureDesign()} data-testid="measure-button">
            Measure now
          </button>
        )}
        <span className="muted">{measured.status === 'error' ? measured.error : 'updates by itself shortly after each change'}</span>
      </div>
      <div className="job-group">
        <span className="job-title">Auto-fold</span>
        <select value={objective} onChange={(e) => setObjective(e.target.value as 'max-fps' | 'target')} aria-label="Auto-fold objective">
          <option value="max-fps">max FPS within budget</option>
          <option value="target">fewest resources for target FPS</option>
        </select>
        {objective === 'target' && (
          <label>
            FPS
            <input type="number" min={1} value={targetFps} onChange={(e) => setTargetFps(Number(e.target.value))} style={{ width: 80 }} />
          </label>
        )}
        <button type="button" data-testid="autofold-button" onClick={() => runAutoFold(objective === 'max-fps' ? 'max-fps' : { targetFps })}>
          Auto-fold
        </button>
        <span className="muted" data-testid="autofold-status">
          {autoFoldJob.status === 'done' ? autoFoldJob.result?.message : autoFoldJob.status === 'error' ? autoFoldJob.error : ''}
        </span>
      </div>
    </section>
  );
}

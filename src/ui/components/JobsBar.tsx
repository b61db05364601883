import { useMemo } from 'react';
import { sweepProvenance } from '../../core/sensitivity/format.ts';
import { importSweepFile } from '../export.ts';
import { numberLayerNames } from '../format.ts';
import { FilePickerButton } from './FilePickerButton.tsx';
import { JobProgress } from './JobProgress.tsx';
import { useApp } from '../store/index.ts';
import { useActiveSweep } from '../store/derived.ts';

const EVAL_SIZES = [500, 1000, 2000, 5000, 10000];

/** The long jobs: measure the current design, auto-fold. Each shows progress and can be cancelled. */
export function SweepJob() {
  const sweep = useApp((s) => s.sweep);
  const selected = useApp((s) => s.selectedLayers);
  const have = Boolean(useActiveSweep());
  const { runSweep, cancelSweep } = useApp.getState();
  const { limit, weightBits: bits, activationBits: acts, earlyStop } = useApp((s) => s.sweepOptions);
  const setOptions = useApp((s) => s.setSweepOptions);
  const setLimit = (n: number) => setOptions({ limit: n });
  const setBits = (v: boolean) => setOptions({ weightBits: v });
  const setActs = (v: boolean) => setOptions({ activationBits: v });
  const setEarlyStop = (v: boolean) => setOptions({ earlyStop: v });
  const p = sweep.progress;
  return (
    <div className="job-group">
      <span className="job-title">Sensitivity</span>

      {sweep.status === 'running' ? (
        <JobProgress value={p?.workDone ?? 0} max={p?.workTotal ?? 1} label="Sensitivity sweep progress" progressTestId="sweep-progress" cancelTestId="sweep-cancel" onCancel={cancelSweep}>
          <span data-testid="sweep-status">
            {p ? `${p.pointsDone} / ${p.pointsTotal} points${p.etaSeconds !== null ? `, about ${Math.ceil(p.etaSeconds)} s left` : ''}` : 'starting…'}
          </span>
        </JobProgress>
      ) : (
        <>
          <label>
            images
            <select value={limit} onChange={(e) => setLimit(Number(e.target.value))} data-testid="sweep-limit">
              {[100, 200, 500, 1000, 2000, 10000].map((n) => (
                <option key={n} value={n}>
                  {n.toLocaleString('en-US')}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={bits} onChange={(e) => setBits(e.target.checked)} /> weight bits
          </label>
          <label className="check">
            <input type="checkbox" checked={acts} onChange={(e) => setActs(e.target.checked)} /> activation bits
          </label>
          <label className="check">
            <input type="checkbox" checked={earlyStop} onChange={(e) => setEarlyStop(e.target.checked)} /> stop a curve after a 10 pp drop
          </label>
          <button
            type="button"
            data-testid="sweep-button"
            onClick={() => void runSweep({ limit, prune: true, weightBits: bits, activationBits: acts, earlyStopDrop: earlyStop ? 0.1 : null, layers: selected })}
          >
            {selected.length ? `Run sweeps on ${selected.length} selected layer${selected.length > 1 ? 's' : ''}` : 'Run sweeps on all layers'}
          </button>
          <FilePickerButton
            label="Import sweep…"
            accept=".json,application/json"
            inputLabel="Import sensitivity sweep JSON"
            inputTestId="sweep-file-input"
            title="A sweep JSON from `edgefold sensitivity` (also one run on job-queue workers) for this model"
            onFile={(file) => void importSweepFile(file)}
          />
        </>
      )}
      <span className="muted" data-testid="sweep-summary">
        {sweep.status === 'error'
          ? `failed: ${sweep.error}`
          : sweep.status === 'cancelled'
            ? 'cancelled; nothing partial kept'
            : have
              ? `${sweep.result!.points.length} points on ${sweep.result!.data.n} images in ${sweep.result!.stats.seconds.toFixed(1)} s (${sweep.result!.stats.cached} from cache); ${sweepProvenance(sweep.result!)}`
              : ''}
      </span>
    </div>
  );
}

export function AllocateJob() {
  const model = useApp((s) => s.model);
  const allocation = useApp((s) => s.allocation);
  const runAllocate = useApp((s) => s.runAllocate);
  const search = useApp((s) => s.frontier);
  // The target is part of the saved session (a reload shows what the user set).
  const { mode, dropPp: drop, macsPct } = useApp((s) => s.jobForms.allocate);
  const setForm = useApp((s) => s.setJobForm);
  const setMode = (m: 'drop' | 'macs') => setForm('allocate', { mode: m });
  const setDrop = (v: number) => setForm('allocate', { dropPp: v });
  const setMacsPct = (v: number) => setForm('allocate', { macsPct: v });
  const have = Boolean(useActiveSweep());
  return (
    <div className="job-group">
      <span className="job-title">Auto-allocate</span>
      <select value={mode} onChange={(e) => setMode(e.target.value as 'drop' | 'macs')} aria-label="Allocation target" data-testid="allocate-mode">
        <option value="drop">max accuracy drop</option>
        <option value="macs">target MACs</option>
      </select>
      {mode === 'drop' ? (
        <label>
          pp
          <input type="number" min={0} max={50} step={0.1} value={drop} onChange={(e) => setDrop(Number(e.target.value))} style={{ width: 70 }} data-testid="allocate-drop" />
        </label>
      ) : (
        <label>
          % of MACs
          <input type="number" min={1} max={100} value={macsPct} onChange={(e) => setMacsPct(Number(e.target.value))} style={{ width: 70 }} data-testid="allocate-macs" />
        </label>
      )}
      <button
        type="button"
        disabled={!have}
        title={have ? undefined : 'Run a sensitivity sweep first'}
        data-testid="allocate-button"
        onClick={() => runAllocate(mode === 'drop' ? { maxDrop: drop / 100 } : { targetMacs: Math.round((model!.loaded.summary.macs * macsPct) / 100) })}
      >
        Allocate
      </button>
      <span className="muted" data-testid="allocate-status">
        {search.forAllocation && search.status === 'running'
          ? `searching the budget on measured accuracy after reconstruction: ${search.progress?.message ?? 'starting'}`
          : search.forAllocation && search.status === 'error'
            ? search.error
            : allocation
          ? search.forAllocation && search.status === 'done' && search.points[0]
            ? `${search.points[0].met ? 'target met' : 'target not met'}: measured ${(100 * search.points[0].measured.top1).toFixed(2)} % top-1 after reconstruction (predicted from the raw curves ${(100 * allocation.prediction.top1).toFixed(2)} %), ${(allocation.predicted.macs / 1e6).toFixed(2)} M MACs`
            : `${allocation.met ? 'target met' : 'target not reachable with the swept settings'}: predicted ${(100 * allocation.prediction.top1).toFixed(2)} % top-1, ${(allocation.predicted.macs / 1e6).toFixed(2)} M MACs`
          : ''}
      </span>
    </div>
  );
}

/** Measure now and auto-fold: the jobs used while shaping a design, always in view. */
export function JobsBar() {
  const measured = useApp((s) => s.measured);
  const evalLimit = useApp((s) => s.evalLimit);
  const measureJobs = useApp((s) => s.measureJobs);
  const autoFoldJob = useApp((s) => s.autoFold);
  const layers = useApp((s) => s.model?.loaded.layers);
  const layerNames = useMemo(() => (layers ?? []).map((l) => l.name), [layers]);
  const foldStatus = (autoFoldJob.status === 'done' ? autoFoldJob.result?.message : autoFoldJob.status === 'error' ? autoFoldJob.error : '') ?? '';
  const { measureDesign, cancelMeasure, runAutoFold } = useApp.getState();
  const { objective, targetFps } = useApp((s) => s.jobForms.autoFold);
  const setForm = useApp((s) => s.setJobForm);
  const setObjective = (o: 'max-fps' | 'target') => setForm('autoFold', { objective: o });
  const setTargetFps = (fps: number) => setForm('autoFold', { targetFps: fps });
  const pct = (p: { done: number; total: number }) => Math.round((100 * p.done) / Math.max(1, p.total));
  return (
    <section className="jobs" aria-label="Jobs">
      <div className="job-group">
        <span className="job-title">Measured accuracy</span>
        <label>
          test images
          <select value={evalLimit} onChange={(e) => useApp.getState().setEvalLimit(Number(e.target.value))} data-testid="eval-limit">
            {EVAL_SIZES.map((n) => (
              <option key={n} value={n}>
                {n.toLocaleString('en-US')}
              </option>
            ))}
          </select>
        </label>
        {measured.status === 'running' ? (
          <JobProgress value={measured.progress.done} max={measured.progress.total} label="Measuring the current design" progressTestId="measure-progress" onCancel={cancelMeasure}>
            <span>{pct(measured.progress)} %</span>
          </JobProgress>
        ) : (
          <button type="button" onClick={() => void measureDesign({ fresh: true })} data-testid="measure-button">
            Measure now
          </button>
        )}
        <span className="muted" data-testid="measure-note" data-measure-jobs={measureJobs}>
          {measured.status === 'error' ? measured.error : `measures by itself once the design stops changing; ${measureJobs} measurement${measureJobs === 1 ? '' : 's'} run since this page opened`}
        </span>
      </div>
      <div className="job-group">
        <span className="job-title">Auto-fold</span>
        <select value={objective} onChange={(e) => setObjective(e.target.value as 'max-fps' | 'target')} aria-label="Auto-fold objective" data-testid="autofold-objective">
          <option value="max-fps">max FPS within budget</option>
          <option value="target">fewest resources for target FPS</option>
        </select>
        {objective === 'target' && (
          <label>
            FPS
            <input type="number" min={1} value={targetFps} onChange={(e) => setTargetFps(Number(e.target.value))} style={{ width: 80 }} data-testid="autofold-fps" />
          </label>
        )}
        <button type="button" data-testid="autofold-button" onClick={() => runAutoFold(objective === 'max-fps' ? 'max-fps' : { targetFps })}>
          Auto-fold
        </button>
        <span className="muted" data-testid="autofold-status" title={foldStatus}>
          {numberLayerNames(foldStatus, layerNames)}
        </span>
      </div>
    </section>
  );
}

import { recoveryOf } from '../../core/design/design.ts';
import type { FrontierTarget } from '../../core/design/frontier.ts';
import { formatCompact } from '../format.ts';
import { importResultFile } from '../import-results.ts';
import { FilePickerButton } from './FilePickerButton.tsx';
import { JobProgress } from './JobProgress.tsx';
import { useApp } from '../store/index.ts';
import { useActiveSweep } from '../store/derived.ts';
import { frontierOfModel } from '../store/frontier-slice.ts';

type Kind = FrontierTarget['kind'];

/** "0.5, 1, 2" -> [0.5, 1, 2]; null when a value is not a positive number (or more than 6 are given). */
export function parseTargetValues(text: string, allowZero: boolean): number[] | null {
  const parts = text.split(/[,;\s]+/).filter(Boolean);
  if (!parts.length || parts.length > 6) return null;
  const values = parts.map(Number);
  return values.every((v) => Number.isFinite(v) && (allowZero ? v >= 0 : v > 0)) ? values : null;
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

/** The joint search: allocate, fold and measure at several targets; the measured frontier and its points. */
export function FrontierSearch() {
  const frontier = useApp((s) => s.frontier);
  const points = useApp(frontierOfModel);
  const reconstruct = useApp((s) => recoveryOf(s.design).reconstruct);
  const evalLimit = useApp((s) => s.evalLimit);
  const { runFrontier, cancelFrontier, applyFrontierPoint } = useApp.getState();
  const have = Boolean(useActiveSweep());
  // The form is part of the saved session (a reload shows the targets the user typed).
  const { kind, drops, fpsList, boundPp: bound, steps } = useApp((s) => s.jobForms.frontier);
  const setForm = useApp((s) => s.setJobForm);
  const setKind = (k: Kind) => setForm('frontier', { kind: k });
  const setDrops = (text: string) => setForm('frontier', { drops: text });
  const setFpsList = (text: string) => setForm('frontier', { fpsList: text });
  const setBound = (pp: number) => setForm('frontier', { boundPp: pp });
  const setSteps = (n: number) => setForm('frontier', { steps: n });
  const values = kind === 'max-fps' ? parseTargetValues(drops, true) : parseTargetValues(fpsList, false);
  const targets: FrontierTarget[] | null = values && (kind === 'max-fps' ? values.map((x) => ({ kind, maxDropPp: x })) : values.map((f) => ({ kind, minFps: f, maxDropPp: bound })));
  const running = frontier.status === 'running' && !frontier.forAllocation;
  const p = frontier.progress;
  return (
    <section className="job-group frontier-search" aria-label="Joint search" data-testid="frontier-search">
      <span className="job-title">Joint search</span>
      <select value={kind} onChange={(e) => setKind(e.target.value as Kind)} aria-label="Search target" data-testid="frontier-kind">
        <option value="max-fps">max FPS with accuracy drop ≤ X pp</option>
        <option value="min-resources">min resources at ≥ F FPS</option>
      </select>
      {kind === 'max-fps' ? (
        <label>
          X (pp)
          <input value={drops} onChange={(e) => setDrops(e.target.value)} style={{ width: 110 }} data-testid="frontier-drops" aria-invalid={!values} />
        </label>
      ) : (
        <>
          <label>
            F (FPS)
            <input value={fpsList} onChange={(e) => setFpsList(e.target.value)} style={{ width: 110 }} data-testid="frontier-fps" aria-invalid={!values} />
          </label>
          <label>
            drop ≤ pp
            <input type="number" min={0} max={50} step={0.1} value={bound} onChange={(e) => setBound(Number(e.target.value))} style={{ width: 60 }} data-testid="frontier-bound" />
          </label>
        </>
      )}
      <label title="Allocations tried per target, each measured once: the budget is bisected on measured accuracy">
        steps
        <select value={steps} onChange={(e) => setSteps(Number(e.target.value))} data-testid="frontier-steps">
          {[1, 2, 3, 4, 6].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      {running ? (
        <JobProgress value={p ? p.target : 0} max={p?.targets ?? 1} label="Joint search progress" progressTestId="frontier-progress" cancelTestId="frontier-cancel" onCancel={cancelFrontier} />
      ) : (
        <button
          type="button"
          disabled={!have || !targets}
          title={!have ? 'Run or import a sensitivity sweep first' : !targets ? 'Give 1 to 6 numbers, separated by commas' : undefined}
          onClick={() => targets && void runFrontier(targets, { maxAttempts: steps })}
          data-testid="frontier-run"
        >
          Search
        </button>
      )}
      <FilePickerButton
        label="Import results…"
        accept=".json,application/json"
        inputLabel="Import a frontier or retraining result JSON"
        inputTestId="results-file-input"
        title="A JSON from `edgefold frontier --json` or `edgefold retrain --json` of this model (also one run with --queue on job-queue workers): shown with where it was measured"
        onFile={(file) => void importResultFile(file)}
      />
      <span className="muted" data-testid="frontier-status">
        {running && p
          ? `target ${p.target + 1} of ${p.targets}, step ${p.attempt + 1}: ${p.message}; ${frontier.measurements} measured so far`
          : frontier.status === 'error'
            ? frontier.error
            : frontier.status === 'cancelled'
              ? 'Search cancelled; the points found before the cancel are kept.'
              : frontier.status === 'done' && frontier.imported && points.length
                ? `${points.length} designs from ${frontier.imported.fileName}, ${frontier.imported.provenance}${frontier.recovered ? ' after reconstruction' : ''} (${frontier.measurements} measurements); added to the design points`
                : frontier.status === 'done' && !frontier.forAllocation
                ? `${points.length} designs measured${frontier.recovered ? ' after reconstruction' : ''} on ${frontier.baseline?.n ?? evalLimit} test images (${frontier.measurements} new measurements); added to the design points`
                : `Each design is measured ${reconstruct ? 'after reconstruction (Recovery tab)' : 'without recovery (turn reconstruction on in the Recovery tab to measure recovered designs)'} on ${evalLimit.toLocaleString('en-US')} test images.`}
      </span>
      {points.length > 0 && !frontier.forAllocation && (
        <table className="frontier-table" data-testid="frontier-table">
          <thead>
            <tr>
              <th scope="col">target</th>
              <th scope="col" title="measured in a worker on the test images">top-1 (measured)</th>
              <th scope="col" title="the same design without recovery, measured">no recovery</th>
              <th scope="col" title="from the sweep curves (raw, unrecovered)">top-1 (predicted)</th>
              <th scope="col" title="estimated by the pipeline model">FPS</th>
              <th scope="col">LUT</th>
              <th scope="col">DSP</th>
              <th scope="col">BRAM18</th>
              <th scope="col" title="allocations tried, each measured once">steps</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {points.map((point, i) => (
              <tr key={i} data-testid="frontier-row" data-met={point.met} title={point.message}>
                <td>
                  {point.label}
                  {point.met ? '' : ' — not met'}
                </td>
                <td data-testid="frontier-measured">{pct(point.measured.top1)}</td>
                <td>{point.measured.rawTop1 === undefined ? '—' : pct(point.measured.rawTop1)}</td>
                <td>{pct(point.predicted.top1)}</td>
                <td>{point.fps.toFixed(1)}</td>
                <td>{formatCompact(point.lut)}</td>
                <td>{point.dsp}</td>
                <td>{point.bram18}</td>
                <td>{point.attempts.length}</td>
                <td>
                  <button type="button" onClick={() => applyFrontierPoint(i)} data-testid="frontier-apply">
                    Apply
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

import { useDeferredValue, useEffect, useState } from 'react';
import { FAMILIES } from '../../core/synth/families.ts';
import { formatDuration } from '../../core/synth/wall-times.ts';
import { yowaspYosysRelease } from '../../core/synth/yowasp.ts';
import { formatCount } from '../format.ts';
import { useApp } from '../store/index.ts';
import { useDesignMetrics } from '../store/derived.ts';
import { SYNTH_TIME_LIMIT_MS, synthesisKey, synthesisPlan, useSynthesis } from '../store/synthesis-slice.ts';
import { Provenance } from './Provenance.tsx';
import { quantisedWidthsFor, useQuantisedWidths } from '../store/quantised-widths.ts';

const FAMILY_NAMES = { xilinx: 'Xilinx 7-series (synth_xilinx)', gowin: 'Gowin GW2A (synth_gowin)', anlogic: 'Anlogic EG4 (synth_anlogic)' } as const;

/** Seconds since `since`, ticking once a second while `on`. */
function useElapsed(since: number | null, on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [on]);
  return since === null ? 0 : Math.max(0, (now - since) / 1000);
}

/**
 * The design's resources as estimated by the model and, once the user runs Yosys on the
 * generated Verilog, as synthesized (pre-place-and-route) for the design it was synthesized for.
 */
export function SynthesisCard() {
  // Deferred: a slider move paints the table and the cards first; this card follows in a later render.
  const metrics = useDeferredValue(useDesignMetrics().metrics);
  const model = useApp((s) => s.model);
  const design = useDeferredValue(useApp((s) => s.design));
  const dataset = useApp((s) => s.dataset);
  const customDevices = useApp((s) => s.customDevices);
  const synth = useSynthesis();
  const knownWidths = useQuantisedWidths();
  const busy = synth.status === 'generating' || synth.status === 'running';
  const elapsed = useElapsed(synth.startedAt, busy);
  if (!metrics || !model) return null;
  const e = metrics.estimate;
  const plan = synthesisPlan({ design, customDevices }, metrics);
  const key = synthesisKey({ model, dataset, design }, metrics);
  const result = synth.result;
  const current = result && result.key === key ? result : null;
  const stale = result && !current ? result : null;
  const release = yowaspYosysRelease();
  const action = `Synthesize (${release}, pre-P&R)`;
  const unit = plan.family ? FAMILIES[plan.family].lutUnit : e.device.lutInputs === 6 ? 'LUT6' : 'LUT4';
  const rows = [
    { id: 'lut', label: `LUT (${unit})`, estimated: Math.round(e.totals.lut), synthesized: current?.counts.lut, available: e.resources.lut.available },
    { id: 'ff', label: 'FF', estimated: e.totals.ff, synthesized: current?.counts.ff, available: e.resources.ff.available },
    { id: 'dsp', label: 'DSP', estimated: e.totals.dsp, synthesized: current?.counts.dsp, available: e.resources.dsp.available },
    { id: 'bram18', label: 'BRAM (18 Kb)', estimated: e.totals.bram18, synthesized: current?.counts.bram18, available: e.resources.bram.available },
  ];
  const requantisers = e.layers.some((l) => l.engines.some((x) => x.kind === 'thresholding' && x.requantStyle !== 'thresholds'));
  const widthsKnown = quantisedWidthsFor({ model, dataset, design }, knownWidths) !== undefined;
  const pct = (n: number, of: number | null) => (of ? ` (${((100 * n) / of).toFixed(0)} %)` : '');
  const synthLabel = current ? `synthesized (${current.yosysVersion.split(' (')[0]}, pre-P&R)` : `synthesized (${release}, pre-P&R)`;
  return (
    <section className="card synthesis" aria-labelledby="synthesis-title" data-testid="synthesis">
      <h2 id="synthesis-title">Resources on {e.device.name}: estimated and synthesized</h2>
      <table className="synthesis-table">
        <thead>
          <tr>
            <th scope="col">resource</th>
            <th scope="col">
              <Provenance kind="estimated" />
            </th>
            <th scope="col">
              <Provenance kind="synthesized" label={synthLabel} />
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid={`synth-row-${r.id}`}>
              <th scope="row">{r.label}</th>
              <td data-testid={`synth-estimated-${r.id}`}>
                {formatCount(r.estimated)}
                {pct(r.estimated, r.available)}
              </td>
              <td data-testid={`synth-synthesized-${r.id}`}>{r.synthesized === undefined ? '—' : `${formatCount(r.synthesized)}${pct(r.synthesized, r.available)}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {requantisers && (
        <p className="chart-note" data-testid="synth-requant-widths">
          {widthsKnown
            ? "Requantiser parameter memories are counted at this design's quantised bias widths (from its calibration)."
            : 'Requantiser parameter memories are counted with biases as wide as the accumulators (an upper bound) until the design is calibrated: synthesis or the accelerator export does it.'}
        </p>
      )}
      {current && (
        <p className="chart-note" data-testid="synth-done">
          {current.yosysVersion}, {FAMILY_NAMES[current.family]}, {current.seconds.toFixed(0)} s in this browser. Counted by the rules in docs/hardware-model.md; before place and route, not the vendor
          tool&apos;s numbers.
          {Object.keys(current.unmapped).length ? ` Cells no rule counts: ${Object.entries(current.unmapped).map(([t, n]) => `${t} ${n}`).join(', ')}.` : ''}
        </p>
      )}
      {stale && !busy && (
        <p className="warning" data-testid="synth-stale">
          Stale: the last synthesis ({stale.device}, {formatCount(stale.counts.lut)} LUT, {stale.counts.dsp} DSP) was of an earlier design; the design has changed since. Synthesize again to see this one.
        </p>
      )}
      {plan.family ? (
        <div className="synthesis-action">
          {busy ? (
            <>
              <span data-testid="synth-progress" role="status">
                {synth.status === 'generating' ? 'Generating the Verilog' : `Yosys: ${synth.phase}${synth.passes ? ` (pass ${synth.passes})` : ''}`}, {Math.round(elapsed)} s
                {plan.expected ? ` of ${formatDuration(plan.expected.seconds)} expected` : ''}
              </span>{' '}
              <button type="button" onClick={() => synth.cancel()} data-testid="synth-cancel">
                Cancel
              </button>
            </>
          ) : (
            <button type="button" onClick={() => void synth.start()} data-testid="synthesize">
              {action}
            </button>
          )}
          <p className="chart-note" data-testid="synth-expected" title={plan.expected?.basis}>
            {FAMILY_NAMES[plan.family]} in a worker in this browser:{' '}
            {plan.expected ? `expected ${formatDuration(plan.expected.seconds)} for this design (${plan.expected.basis}; scaled by the estimated LUT count, an order of magnitude)` : 'no benchmark of this family yet (npm run bench -- synth)'}
            . The first run also loads Yosys (31 MB). Stops after {SYNTH_TIME_LIMIT_MS / 60_000} min; Cancel stops it at once.
          </p>
        </div>
      ) : (
        <p className="chart-note" data-testid="synth-unsupported">
          {plan.reason}
        </p>
      )}
      {synth.status === 'error' && synth.error && (
        <p className="warning" role="alert" data-testid="synth-error">
          Synthesis failed: {synth.error}
        </p>
      )}
    </section>
  );
}

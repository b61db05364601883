import { formatCompact, formatCount, formatPercent } from '../format.ts';
import { currentAccuracy, useApp } from '../store/index.ts';
import { recoveryLabel } from '../store/retrain-slice.ts';
import { recoveryOf } from '../../core/design/design.ts';
import { budgetVerdict } from '../../core/hw/fold.ts';
import { useActiveSweep, useDesignMetrics, usePrediction } from '../store/derived.ts';
import { Provenance, type ProvenanceKind } from './Provenance.tsx';
import { predictedOnMeasuredBaseline } from '../store/prediction-view.ts';

function Card({ label, value, detail, kind, testId }: { label: string; value: string; detail?: string; kind: ProvenanceKind; testId: string }) {
  return (
    <div className="metric" data-testid={testId}>
      <div className="metric-label">
        {label} <Provenance kind={kind} />
      </div>
      <div className="metric-value">{value}</div>
      {detail && (
        <div className="metric-detail" title={detail}>
          {detail}
        </div>
      )}
    </div>
  );
}

/** A measured top-1 this far below the float model's counts as collapsed (the card offers recovery). */
const COLLAPSE_DROP = 0.1;

export function SummaryCards() {
  const { metrics, error } = useDesignMetrics();
  const baseline = useApp((s) => s.baseline);
  const measured = useApp((s) => s.measured);
  const design = useApp((s) => s.design);
  const model = useApp((s) => s.model);
  const own = useApp(currentAccuracy);
  const retrainStatus = useApp((s) => s.retrain.status);
  const prediction = usePrediction();
  const sweep = useActiveSweep();
  const predicted = prediction ? predictedOnMeasuredBaseline(prediction, sweep?.data.n ?? null, baseline.result ?? null) : null;
  if (error) return <p className="warning" role="alert">The design cannot be evaluated: {error}</p>;
  if (!metrics || !model) return null;
  const e = metrics.estimate;
  const recovered = recoveryLabel(own);
  // A design nobody would deploy: far below the float model, and nothing recovered it yet.
  const collapsed = own && baseline.result && baseline.result.top1 - own.top1 >= COLLAPSE_DROP ? baseline.result.top1 - own.top1 : null;
  const { setRecovery, retrainDesign } = useApp.getState();
  const recipe = recoveryOf(design);
  const base = model.loaded.summary;
  const verdict = budgetVerdict(e, design.hardware.budget);
  const budgetPct = Math.round(design.hardware.budget * 100);
  const util = (r: 'dsp' | 'bram' | 'lut' | 'ff') => {
    const u = e.resources[r].utilization;
    return u === null ? 'budget unknown' : formatPercent(u, 0);
  };
  return (
    <section className="metrics" aria-label="Design summary">
      <Card
        testId="metric-params"
        label="params"
        value={formatCompact(metrics.params)}
        detail={`${formatCount(metrics.params)} of ${formatCount(base.params)}`}
        kind="estimated"
      />
      <Card testId="metric-macs" label="MACs / ops" value={formatCompact(metrics.macs)} detail={`${formatCompact(2 * metrics.macs)} ops (2 × MACs)`} kind="estimated" />
      <div className="metric" data-testid="metric-predicted">
        <div className="metric-label">
          top-1 <Provenance kind="predicted" />
        </div>
        <div className="metric-value">{predicted ? formatPercent(predicted.top1) : '—'}</div>
        <div className="metric-detail" title={predicted?.explain}>
          {predicted ? predicted.detail : 'run a sensitivity sweep to predict'}
        </div>
      </div>
      <div className="metric" data-testid="metric-accuracy">
        <div className="metric-label">
          top-1 <Provenance kind="measured" />
        </div>
        <div className="metric-value">
          {own ? formatPercent(own.top1) : measured.status === 'running' ? `${Math.round((100 * measured.progress.done) / Math.max(1, measured.progress.total))} %…` : '—'}
        </div>
        <div className="metric-detail" data-testid="measured-detail">
          {own
            ? `95 % CI ${formatPercent(own.ci95[0], 1)}–${formatPercent(own.ci95[1], 1)}, ${formatCount(own.n)} ${own.dataset} ${own.split} images` +
              (recovered ? `; after ${recovered}${own.raw ? ` (without: ${formatPercent(own.raw.top1)})` : ''}` : '') +
              (own.fromCache ? '; measured earlier (cache)' : '')
            : measured.status === 'error'
              ? `not measured: ${measured.error}`
              : measured.status === 'running'
                ? `measuring on ${formatCount(measured.progress.total)} images…`
                : baseline.result
                  ? `float model: ${formatPercent(baseline.result.top1)}; measured once the design stops changing`
                  : 'measured once the design stops changing'}
        </div>
      </div>
      <Card testId="metric-fps" label="FPS" value={e.fps.toFixed(1)} detail={`${design.hardware.clockMHz} MHz / ${formatCount(e.maxCycles)} cycles`} kind="estimated" />
      <Card testId="metric-latency" label="latency" value={`${e.latency.ms.toFixed(3)} ms`} detail={`${formatCount(e.latency.cycles)} cycles`} kind="estimated" />
      <Card
        testId="metric-power"
        label="power"
        value={`${e.power.totalW.toFixed(2)} W`}
        detail={`${e.power.rangeW[0].toFixed(2)}–${e.power.rangeW[1].toFixed(2)} W · ${e.gopsPerWatt.toFixed(1)} GOPS/W`}
        kind="estimated"
      />
      <Card
        testId="metric-resources"
        label="resources"
        value={e.fits === false ? 'does not fit' : verdict.fits === null ? 'fit unknown' : verdict.fits ? 'fits' : 'over budget'}
        detail={`${
          verdict.over.length ? `over the ${budgetPct} % budget: ${verdict.over.map((o) => `${o.resource} ${formatPercent(o.utilization, 0)}`).join(', ')} · ` : `within the ${budgetPct} % budget · `
        }DSP ${formatCount(e.totals.dsp)} (${util('dsp')}) · BRAM18 ${e.totals.bram18} (${util('bram')}) · LUT ${formatCompact(e.totals.lut)} (${util('lut')})`}
        kind="estimated"
      />
      {collapsed !== null && (
        <div className="collapse-warning" role="alert" data-testid="collapse-warning">
          {(100 * collapsed).toFixed(1)} pp below the float model: the measured design has collapsed. Win it back:
          <span className="collapse-actions">
            {!recipe.reconstruct && (
              <button type="button" onClick={() => setRecovery({ reconstruct: true })} data-testid="collapse-reconstruct">
                Reconstruct
              </button>
            )}
            <button type="button" disabled={retrainStatus === 'running'} onClick={() => void retrainDesign()} data-testid="collapse-retrain">
              Retrain {recipe.retrain.epochs} epoch{recipe.retrain.epochs === 1 ? '' : 's'}
            </button>
          </span>
        </div>
      )}
    </section>
  );
}

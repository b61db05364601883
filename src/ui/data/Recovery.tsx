import type { BiasReference, RecoveryAccuracy, RecoveryStepRecord } from '../../core/transfer/recover.ts';
import { recoveryOf } from '../../core/design/design.ts';
import { Provenance } from '../components/Provenance.tsx';
import { downloadBlob } from '../download.ts';
import { formatPercent } from '../format.ts';
import { recoveredModel, recoveryKey, useApp } from '../store/index.ts';
import { TrainingCurves } from './TrainingCurves.tsx';

const STEP_NAMES = { reconstruct: '+ reconstruction', 'bias-correction': '+ bias correction', 'head-refit': '+ head re-fit', 'fine-tune': '+ fine-tuning', qat: '+ QAT' } as const;

function describeDesign(compression: ReturnType<typeof useApp.getState>['design']['compression']): string {
  const parts: string[] = [];
  const ratio = compression.prune?.ratio ?? 0;
  const overrides = Object.values(compression.layers ?? {});
  if (ratio > 0) parts.push(`prune ${Math.round(ratio * 100)} % of each group`);
  if (overrides.some((l) => l.prune)) parts.push(`${overrides.filter((l) => l.prune).length} per-layer prunings`);
  if (compression.quant) {
    const q = compression.quant;
    parts.push(`W${q.weightBits ?? 8}/A${q.activationBits ?? 'float'}`);
    if (overrides.some((l) => l.weightBits !== undefined || l.activationBits !== undefined)) parts.push('per-layer bits');
  }
  return parts.length ? parts.join(', ') : 'nothing compressed';
}

function Row({ label, accuracy, previous, detail, testId }: { label: string; accuracy?: RecoveryAccuracy; previous?: RecoveryAccuracy; detail?: string; testId: string }) {
  const delta = accuracy && previous ? 100 * (accuracy.top1 - previous.top1) : null;
  return (
    <tr data-testid={testId}>
      <th scope="row">{label}</th>
      <td className="num">{accuracy ? formatPercent(accuracy.top1) : '—'}</td>
      <td className="num">{delta === null ? '' : `${delta >= 0 ? '+' : ''}${delta.toFixed(2)} pp`}</td>
      <td className="ci">{accuracy ? `${formatPercent(accuracy.ci95[0], 1)} – ${formatPercent(accuracy.ci95[1], 1)}, ${accuracy.images} images` : ''}</td>
      <td className="muted">{detail}</td>
    </tr>
  );
}

function stepDetail(step: RecoveryStepRecord): string {
  if (step.step === 'reconstruct') {
    if (!step.layersReconstructed) return `no layer with pruned inputs to re-solve${step.layersSkipped?.length ? ` (${step.layersSkipped.length} skipped)` : ''}`;
    const skipped = step.layersSkipped?.length ? `, ${step.layersSkipped.length} skipped` : '';
    return `${step.layersReconstructed} layers re-solved${skipped}, output error vs float ${step.meanErrorBefore?.toFixed(3)} → ${step.meanErrorAfter?.toFixed(3)}; ${step.data.images} images`;
  }
  if (step.step === 'bias-correction') {
    const skipped = step.layersSkipped?.length ? `, ${step.layersSkipped.length} skipped` : '';
    return `${step.layersCorrected} layers corrected${skipped} (${step.mode}), mean |shift| ${step.meanShiftBefore?.toFixed(4)} → ${step.meanShiftAfter?.toFixed(4)}; ${step.data.images} images`;
  }
  const q = step.headQuantization;
  return `${step.iterations} iterations on ${step.data.images} images; head ${q ? `quantized again to ${q.weightBits} bits` : 'float'}`;
}

/** Recovery after compression: bias correction and a head re-fit on the current design's compressed model, each measured. */
export function Recovery() {
  const recovery = useApp((s) => s.recovery);
  const design = useApp((s) => s.design);
  const model = useApp((s) => s.model);
  const evalLimit = useApp((s) => s.evalLimit);
  const dataset = useApp((s) => s.dataset);
  const { runRecovery, cancelRecovery, setRecoverySettings } = useApp.getState();
  const { settings } = recovery;
  const running = recovery.status === 'running';
  const currentKey = recoveryKey({ model, design, evalLimit, dataset });
  const stale = recovery.key !== null && recovery.key !== currentKey;
  const recovered = recovery.status === 'done' ? recoveredModel(useApp.getState()) : null;
  const nothing = !recoveryOf(design).reconstruct && !settings.biasCorrection && !settings.headRefit;
  const before = [recovery.compressed, ...recovery.steps.map((s) => s.accuracyAfter)];
  return (
    <section className="data-section" aria-labelledby="recovery-title" data-testid="recovery" data-recovery-jobs={recovery.jobs}>
      <h3 id="recovery-title">Step-by-step recovery run</h3>
      <p className="muted">
        Builds the current design&apos;s compressed model ({describeDesign(design.compression)}), re-solves by least squares every pointwise conv
        and the classifier whose inputs were pruned so that they match the unpruned model on calibration images (reconstruction), then corrects its biases against the float model
        (per-channel output means on calibration images, layer by layer, as in DFQ / AIMET) and re-fits the classifier head on the compressed model&apos;s
        own features; the new head is quantized again with the layer&apos;s bits. Every row is measured on the evaluation data (
        {dataset.source === 'imported' && dataset.imported ? `${dataset.imported.summary.name}, validation split` : 'Fashion-MNIST test split'}).
      </p>
      <div className="data-row">
        <span className="muted" data-testid="recovery-reconstruct-state" title="Set by the design's recipe above: one switch for every measurement, retrain and this run">
          reconstruction {recoveryOf(design).reconstruct ? 'on' : 'off'} (design recipe)
        </span>
        <label className="data-check">
          <input type="checkbox" checked={settings.biasCorrection} onChange={(e) => setRecoverySettings({ biasCorrection: e.target.checked })} disabled={running} />
          bias correction
        </label>
        <label>
          corrected against
          <select value={settings.reference} onChange={(e) => setRecoverySettings({ reference: e.target.value as BiasReference | 'auto' })} disabled={running || !settings.biasCorrection}>
            <option value="auto">automatic (original after reconstruction, else pruned alike)</option>
            <option value="pruned-float">float model, pruned alike (quantization error only)</option>
            <option value="original">original float model (pruning shift too)</option>
          </select>
        </label>
        <label>
          order
          <select value={settings.mode} onChange={(e) => setRecoverySettings({ mode: e.target.value as 'sequential' | 'all-at-once' })} disabled={running || !settings.biasCorrection}>
            <option value="sequential">layer by layer</option>
            <option value="all-at-once">all at once</option>
          </select>
        </label>
        <label className="data-check">
          <input type="checkbox" checked={settings.headRefit} onChange={(e) => setRecoverySettings({ headRefit: e.target.checked })} disabled={running} />
          head re-fit
        </label>
        {running ? (
          <button type="button" onClick={cancelRecovery} data-testid="recovery-cancel">
            Cancel
          </button>
        ) : (
          <button type="button" onClick={() => void runRecovery()} disabled={!model || nothing} data-testid="recovery-run">
            Run recovery
          </button>
        )}
      </div>
      {running && (
        <div className="job" role="status">
          <span>{recovery.stage ?? 'Starting'}</span>
          <progress value={recovery.progress.done} max={recovery.progress.total || 1} aria-label="Recovery progress" data-testid="recovery-progress" />
        </div>
      )}
      {recovery.status === 'cancelled' && <p role="status">Recovery cancelled.</p>}
      {recovery.status === 'error' && (
        <p className="warning" role="alert" data-testid="recovery-error">
          Recovery failed: {recovery.error}
        </p>
      )}
      {(recovery.compressed || recovery.steps.length > 0) && (
        <>
          {stale && (
            <p className="warning" role="status">
              The design, model or evaluation data changed since this run: these numbers are for the earlier design and are not written into the deployment
              config. Run recovery again.
            </p>
          )}
          {recovery.fromCache && !stale && (
            <p className="muted" role="status" data-testid="recovery-from-cache">
              The last recovery run of this design, kept from an earlier visit (no job ran now).
            </p>
          )}
          <table className="data-table" data-testid="recovery-table">
            <caption>
              top-1 after each step <Provenance kind="measured" />
            </caption>
            <thead>
              <tr>
                <th scope="col">model</th>
                <th scope="col" className="num">
                  top-1
                </th>
                <th scope="col" className="num">
                  change
                </th>
                <th scope="col">95 % CI, images</th>
                <th scope="col">details</th>
              </tr>
            </thead>
            <tbody>
              {recovery.floatAccuracy && <Row label="float model" accuracy={recovery.floatAccuracy} detail="before compression (baseline)" testId="recovery-row-float" />}
              <Row label="compressed (design)" accuracy={recovery.compressed} previous={recovery.floatAccuracy} detail="no recovery" testId="recovery-row-compressed" />
              {recovery.steps.map((step, i) => (
                <Row key={step.step} label={STEP_NAMES[step.step]} accuracy={step.accuracyAfter} previous={before[i]} detail={stepDetail(step)} testId={`recovery-row-${step.step}`} />
              ))}
            </tbody>
          </table>
          {recovery.data && (
            <p className="muted">
              Calibration, reconstruction and bias correction: {recovery.data.calibration}. Head re-fit: {recovery.data.training}.
            </p>
          )}
        </>
      )}
      {recovery.curve.length > 0 && <TrainingCurves id="recovery-refit" curve={recovery.curve} title="Recovery head re-fit" />}
      {recovered && !stale && (
        <p>
          <button type="button" onClick={() => downloadBlob(new Blob([recovered.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), recovered.fileName)} data-testid="recovery-download">
            Download recovered ONNX
          </button>{' '}
          <span className="muted" data-testid="recovery-sha256" data-sha256={recovery.sha256} title={`sha256 ${recovered.sha256}`}>
            The exported deployment config lists these steps under &quot;recovery&quot;; model sha256 {recovered.sha256.slice(0, 12)}….
          </span>
        </p>
      )}
    </section>
  );
}

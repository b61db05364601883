import { recoveryOf } from '../../core/design/design.ts';
import { TrainingCurves } from '../data/TrainingCurves.tsx';
import { formatPercent } from '../format.ts';
import { currentAccuracy, useApp } from '../store/index.ts';
import { recoveryLabel } from '../store/retrain-slice.ts';
import { Provenance } from './Provenance.tsx';

const TRAIN_IMAGES = [null, 5000, 2000, 1000, 500, 200] as const;

const clock = (s: number) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);

/** The design's recovery recipe: reconstruction with every measurement, and a retrain on request. */
export function RecoveryControls() {
  const design = useApp((s) => s.design);
  const retrain = useApp((s) => s.retrain);
  const own = useApp(currentAccuracy);
  const { setRecovery, retrainDesign, cancelRetrain } = useApp.getState();
  const recipe = recoveryOf(design);
  const r = recipe.retrain;
  const running = retrain.status === 'running';
  const quantized = !!design.compression.quant;
  const label = recoveryLabel(own);
  return (
    <section className="controls recovery-controls" aria-label="Recovery" data-testid="recovery-controls">
      <span className="job-title">Recovery</span>
      <label className="check">
        <input type="checkbox" checked={recipe.reconstruct} onChange={(e) => setRecovery({ reconstruct: e.target.checked })} data-testid="design-reconstruct" />
        reconstruct pruned layers (least squares on the calibration images) in every measurement
      </label>
      <label>
        epochs
        <input type="number" min={1} max={50} value={r.epochs} onChange={(e) => Number(e.target.value) >= 1 && setRecovery({ retrain: { epochs: Math.round(Number(e.target.value)) } })} data-testid="retrain-epochs" />
      </label>
      <label>
        learning rate
        <input type="number" min={1e-5} max={1} step={1e-4} value={r.lr} onChange={(e) => Number(e.target.value) > 0 && setRecovery({ retrain: { lr: Number(e.target.value) } })} />
      </label>
      <label>
        training images
        <select value={r.trainImages ?? 'all'} onChange={(e) => setRecovery({ retrain: { trainImages: e.target.value === 'all' ? null : Number(e.target.value) } })} data-testid="retrain-images">
          {TRAIN_IMAGES.map((n) => (
            <option key={n ?? 'all'} value={n ?? 'all'}>
              {n === null ? 'all' : n.toLocaleString('en-US')}
            </option>
          ))}
        </select>
      </label>
      <label className="check">
        <input type="checkbox" checked={r.kd !== null} onChange={(e) => setRecovery({ retrain: { kd: e.target.checked ? { weight: 0.7, temperature: 4 } : null } })} />
        distil from the float model
      </label>
      <label className="check" title={quantized ? '' : 'the design does not quantize: training is in float'}>
        <input type="checkbox" checked={r.qat} disabled={!quantized} onChange={(e) => setRecovery({ retrain: { qat: e.target.checked } })} />
        quantization-aware
      </label>
      {running ? (
        <button type="button" onClick={cancelRetrain} data-testid="retrain-cancel">
          Cancel retrain
        </button>
      ) : (
        <button type="button" onClick={() => void retrainDesign()} data-testid="retrain-run">
          Retrain
        </button>
      )}
      <span className="muted" role="status" data-testid="retrain-status">
        {running
          ? `${retrain.phase ?? 'starting'}${retrain.progress.total ? `, step ${retrain.progress.done}/${retrain.progress.total}` : ''}${retrain.secondsLeft !== null ? `, ${clock(retrain.secondsLeft)} left` : ''}`
          : retrain.status === 'cancelled'
            ? 'Retrain cancelled: the previous result is kept.'
            : retrain.status === 'error'
              ? `Retrain failed: ${retrain.error}`
              : label && own
                ? `measured after ${label}: ${formatPercent(own.top1)}${own.raw ? ` (without recovery ${formatPercent(own.raw.top1)})` : ''}`
                : retrain.result
                  ? `stale: the last retrain (${formatPercent(retrain.result.top1)}) was of an earlier design or recipe; retrain this one`
                  : 'fine-tunes the compressed design on the training split (AdamW, cosine schedule, crop + flip)'}
        {label && own && !running && <Provenance kind="measured" />}
      </span>
      {retrain.curve.length > 1 && <TrainingCurves id="retrain" curve={retrain.curve} title="Retrain" />}
    </section>
  );
}

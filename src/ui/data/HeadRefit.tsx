import { formatPercent } from '../format.ts';
import { Provenance } from '../components/Provenance.tsx';
import { useApp } from '../store/index.ts';
import { TrainingCurves } from './TrainingCurves.tsx';

const PHASES = { features: 'Extracting features', training: 'Training the head', verifying: 'Checking the written model' } as const;

/** Re-fit the open model's classifier on the imported training split; the result becomes the open model. */
export function HeadRefit() {
  const refit = useApp((s) => s.headRefit);
  const imported = useApp((s) => s.dataset.imported);
  const model = useApp((s) => s.model);
  const { runHeadRefit, cancelHeadRefit, setTrainSettings } = useApp.getState();
  const { settings, result } = refit;
  const running = refit.status === 'running';
  const training = imported?.identity.counts.training ?? 0;
  const disabled = !imported || !model || training === 0 || running;
  return (
    <section className="data-section" aria-labelledby="refit-title" data-testid="refit">
      <h3 id="refit-title">Re-fit the classifier head</h3>
      <p className="muted">
        Features entering the model&apos;s last Gemm / MatMul are extracted with onnxruntime in a worker, a softmax regression (weight decay on
        standardised features) is trained on the {training.toLocaleString('en-US')} training images and written into the model as its new head, one
        output per dataset class. Cancelling keeps the current head.
      </p>
      <div className="data-row">
        <label>
          optimizer
          <select value={settings.optimizer} onChange={(e) => setTrainSettings({ optimizer: e.target.value as 'lbfgs' | 'adam' })} disabled={running}>
            <option value="lbfgs">L-BFGS (full batch)</option>
            <option value="adam">Adam (mini-batch)</option>
          </select>
        </label>
        <label>
          weight decay λ
          <input
            type="number"
            min={0}
            step={0.001}
            value={settings.weightDecay}
            onChange={(e) => Number(e.target.value) >= 0 && setTrainSettings({ weightDecay: Number(e.target.value) })}
            disabled={running}
          />
        </label>
        <label>
          {settings.optimizer === 'lbfgs' ? 'max iterations' : 'epochs'}
          <input
            type="number"
            min={1}
            step={1}
            value={settings.maxIterations}
            onChange={(e) => Number(e.target.value) >= 1 && setTrainSettings({ maxIterations: Math.round(Number(e.target.value)) })}
            disabled={running}
          />
        </label>
        {running ? (
          <button type="button" onClick={cancelHeadRefit} data-testid="refit-cancel">
            Cancel re-fit
          </button>
        ) : (
          <button type="button" onClick={() => void runHeadRefit()} disabled={disabled} data-testid="refit-button">
            Re-fit head on {imported ? imported.summary.name : 'imported data'}
          </button>
        )}
        {!imported && <span className="muted">Import a dataset first.</span>}
      </div>
      {running && (
        <div className="job" role="status">
          <span>{refit.phase ? PHASES[refit.phase] : 'Starting'}</span>
          <progress value={refit.progress.done} max={refit.progress.total || 1} aria-label="Head re-fit progress" data-testid="refit-progress" />
          <span>
            {refit.progress.done} / {refit.progress.total}
          </span>
        </div>
      )}
      {refit.status === 'cancelled' && (
        <p role="status" data-testid="refit-cancelled">
          Re-fit cancelled: the model keeps its previous head.
        </p>
      )}
      {refit.status === 'error' && (
        <p className="warning" role="alert" data-testid="refit-error">
          Re-fit failed: {refit.error} The model keeps its previous head.
        </p>
      )}
      {refit.curve.length > 0 && <TrainingCurves id="refit" curve={refit.curve} title="Head re-fit" />}
      {refit.status === 'done' && result && (
        <dl className="facts data-facts" data-testid="refit-result">
          <dt>now open</dt>
          <dd>
            <code>{result.toFileName}</code>, {result.classes.length} outputs: {result.classes.join(', ')}
          </dd>
          <dt>validation</dt>
          <dd data-testid="refit-after">
            {result.verified ? (
              <>
                <strong>{formatPercent(result.verified.top1)}</strong> top-1 <Provenance kind="measured" />{' '}
                <span className="ci">
                  (95 % CI {formatPercent(result.verified.ci95[0])} – {formatPercent(result.verified.ci95[1])}, {result.verified.n} images, onnxruntime on the
                  written model)
                </span>
              </>
            ) : (
              'no validation split'
            )}
          </dd>
          <dt>before</dt>
          <dd data-testid="refit-before">
            {result.before ? (
              <>
                {formatPercent(result.before.top1)} top-1 <Provenance kind="measured" /> <span className="ci">(previous head, labels mapped, same {result.before.n} images)</span>
              </>
            ) : (
              'not measured on these images (evaluate on the imported data with a label mapping to see it)'
            )}
          </dd>
          <dt>training</dt>
          <dd>
            {result.iterations} iterations{result.converged ? ' (converged)' : ''}, train top-1 {formatPercent(result.train.accuracy)}; features{' '}
            {result.seconds.features.toFixed(1)} s, training {result.seconds.training.toFixed(1)} s
          </dd>
        </dl>
      )}
    </section>
  );
}

import { formatPercent } from '../format.ts';
import { useApp } from '../store/index.ts';

export function BaselineCard() {
  const baseline = useApp((s) => s.baseline);
  const run = useApp((s) => s.runBaseline);
  const cancel = useApp((s) => s.cancelBaseline);
  const { status, progress, result } = baseline;
  const fraction = progress.total ? progress.done / progress.total : 0;
  return (
    <section className="card" aria-labelledby="baseline-title" data-testid="baseline">
      <h2 id="baseline-title">
        Baseline accuracy <span className="provenance measured">measured</span>
      </h2>
      {status === 'running' && (
        <div className="job">
          <progress
            value={progress.done}
            max={progress.total || 1}
            aria-label="Baseline evaluation progress"
            data-testid="baseline-progress"
          />
          <span>
            {progress.done} / {progress.total} images ({Math.round(100 * fraction)} %)
          </span>
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        </div>
      )}
      {status === 'done' && result && (
        <dl className="facts">
          <dt>top-1</dt>
          <dd data-testid="baseline-top1">
            <strong>{formatPercent(result.top1)}</strong>{' '}
            <span className="ci">
              (95 % CI {formatPercent(result.ci95[0])} – {formatPercent(result.ci95[1])})
            </span>
          </dd>
          <dt>top-5</dt>
          <dd>{formatPercent(result.top5)}</dd>
          <dt>images</dt>
          <dd>
            {result.n.toLocaleString('en-US')} ({result.dataset}, {result.split})
          </dd>
          <dt>speed</dt>
          <dd data-testid="baseline-speed">
            {Math.round(result.imagesPerSecond).toLocaleString('en-US')} images/s (onnxruntime-web wasm,{' '}
            {result.threads} thread{result.threads === 1 ? '' : 's'})
          </dd>
        </dl>
      )}
      {status === 'error' && (
        <p className="warning" role="status" data-testid="baseline-error">
          Accuracy unavailable: {baseline.error}
        </p>
      )}
      {status === 'cancelled' && <p role="status">Evaluation cancelled.</p>}
      {status !== 'running' && (
        <button type="button" onClick={() => void run()}>
          {status === 'done' ? 'Measure again' : 'Measure accuracy'}
        </button>
      )}
    </section>
  );
}

import { useApp } from '../store/index.ts';
import { dataMismatch } from '../store/data-fit.ts';

/** Says, for a model the evaluation data does not fit, what works without data and which input to import. */
export function DataNeeded() {
  const model = useApp((s) => s.model);
  const dataset = useApp((s) => s.dataset);
  const setTab = useApp((s) => s.setTab);
  const mismatch = dataMismatch({ model, dataset });
  if (!mismatch) return null;
  return (
    <div className="data-needed" role="status" data-testid="data-needed">
      <span>
        <strong>No matching data.</strong> This model takes input <code>{mismatch.modelInput}</code>; hardware estimates, folding, weight-only compression and
        exports work without data. To measure accuracy, run sweeps or quantize activations, import a dataset of {mismatch.needs}.
      </span>
      <button type="button" onClick={() => setTab('data')} data-testid="data-needed-import">
        Import data…
      </button>
    </div>
  );
}

import { useApp } from '../store/index.ts';
import { dataMismatch } from '../store/data-fit.ts';

/** Says, for a model the evaluation data does not fit, what works without data and which input to import; once imported, offers quantized activations. */
export function DataNeeded() {
  const model = useApp((s) => s.model);
  const dataset = useApp((s) => s.dataset);
  const setTab = useApp((s) => s.setTab);
  const floatActivations = useApp((s) => s.design.compression.quant?.activationBits == null);
  const setActivationBits = useApp((s) => s.setActivationBits);
  const mismatch = dataMismatch({ model, dataset });
  // A model the bundled images do not fit started weights-only: once its own data is in, say that activations can be quantized.
  if (!mismatch && floatActivations && dataset.source === 'imported' && dataMismatch({ model, dataset: { ...dataset, source: 'bundled' } })) {
    return (
      <div className="data-needed" role="status" data-testid="activations-offer">
        <span>
          Data of this model’s input is imported: activations can be quantized now (the design started weights-only; the width is also in the Device &amp; scheme tab).
        </span>
        <button type="button" onClick={() => setActivationBits(8)} data-testid="activations-offer-8">
          Quantize activations (8 bits)
        </button>
      </div>
    );
  }
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

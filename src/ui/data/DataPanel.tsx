import { formatCount } from '../format.ts';
import { labelMapping } from '../store/index.ts';
import { useApp } from '../store/index.ts';
import { DataImport } from './DataImport.tsx';
import { HeadRefit } from './HeadRefit.tsx';
import { LabelMappingTable } from './LabelMappingTable.tsx';
import { PreprocessForm } from './PreprocessForm.tsx';
import { PreviewGrid } from './PreviewGrid.tsx';
import { Recovery } from './Recovery.tsx';

const short = (hash: string) => hash.slice(0, 12);

/** Which data every evaluation, sweep and calibration uses, with the dataset's identity. */
function EvaluationSource() {
  const dataset = useApp((s) => s.dataset);
  const model = useApp((s) => s.model);
  const setEvaluationSource = useApp((s) => s.setEvaluationSource);
  const { imported, source } = dataset;
  const mapping = model && imported ? labelMapping({ model, dataset }) : null;
  const dropped = imported && mapping ? mapping.toModel.filter((m) => m < 0).length : 0;
  return (
    <fieldset className="data-source" data-testid="eval-source">
      <legend>Evaluate on (baseline, measured accuracy, sweeps, calibration)</legend>
      <label>
        <input type="radio" name="data-source" checked={source === 'bundled'} onChange={() => setEvaluationSource('bundled')} data-testid="eval-source-bundled" />
        bundled Fashion-MNIST (test split; calibration split for calibration)
      </label>
      <label>
        <input
          type="radio"
          name="data-source"
          checked={source === 'imported'}
          disabled={!imported}
          onChange={() => setEvaluationSource('imported')}
          data-testid="eval-source-imported"
        />
        {imported ? (
          <>
            imported <strong>{imported.summary.name}</strong>: validation split ({formatCount(imported.identity.counts.validation)} images
            {dropped ? `, ${dropped} class(es) left out by the label mapping` : ''}); calibration split ({formatCount(imported.identity.counts.calibration)}) for
            calibration
          </>
        ) : (
          'imported data (import a dataset first)'
        )}
      </label>
    </fieldset>
  );
}

function Identity() {
  const imported = useApp((s) => s.dataset.imported)!;
  const { identity, summary } = imported;
  const c = identity.counts;
  return (
    <dl className="facts data-facts" data-testid="data-identity">
      <dt>dataset</dt>
      <dd>
        <strong data-testid="data-name">{summary.name}</strong> ({summary.format}), {formatCount(c.total)} images, {summary.classes.length} classes
      </dd>
      <dt>identity</dt>
      <dd>
        <code title={identity.id} data-testid="data-id">
          {short(identity.id)}
        </code>{' '}
        <span className="muted">
          (content sha256 <code title={identity.contentSha256}>{short(identity.contentSha256)}</code>, with preprocessing and split; goes into the deployment
          config)
        </span>
      </dd>
      <dt>split</dt>
      <dd data-testid="data-split">
        seed {identity.split.seed}: {formatCount(c.training)} training, {formatCount(c.validation)} validation, {formatCount(c.calibration)} calibration
      </dd>
      {imported.warnings.length > 0 && (
        <>
          <dt>warnings</dt>
          <dd className="warnings">{imported.warnings.join(' ')}</dd>
        </>
      )}
    </dl>
  );
}

/** The Data panel: bring your own data, re-fit the head on it, recover accuracy after compression. */
export function DataPanel() {
  const imported = useApp((s) => s.dataset.imported);
  const removeDataset = useApp((s) => s.removeDataset);
  return (
    <section className="card data-panel" aria-labelledby="data-title" data-testid="data-panel">
      <div className="data-head">
        <h2 id="data-title">Your data</h2>
        {imported && (
          <button type="button" onClick={removeDataset}>
            Remove dataset
          </button>
        )}
      </div>
      <DataImport />
      {imported && (
        <div className="data-grid">
          <div>
            <Identity />
            <PreviewGrid tiles={imported.preview} />
          </div>
          <div>
            <PreprocessForm key={imported.identity.id} imported={imported} />
            <LabelMappingTable imported={imported} />
          </div>
        </div>
      )}
      <EvaluationSource />
      <HeadRefit />
      <Recovery />
    </section>
  );
}

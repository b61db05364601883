import { formatCompact, formatCount, formatShape } from '../format.ts';
import { useApp } from '../store/index.ts';

export function ModelSummaryCard() {
  const model = useApp((s) => s.model)!;
  const { summary } = model.loaded;
  return (
    <section className="card" aria-labelledby="summary-title" data-testid="model-summary">
      <h2 id="summary-title">Model</h2>
      <dl className="facts">
        <dt>name</dt>
        <dd data-testid="model-name">{summary.name}</dd>
        <dt>file</dt>
        <dd>{model.fileName}</dd>
        <dt>format</dt>
        <dd>
          ONNX IR {summary.irVersion}, opset {summary.opset}
        </dd>
        <dt>input</dt>
        <dd>{summary.inputs.map((i) => `${i.name} ${formatShape(i.shape)}`).join(', ')}</dd>
        <dt>params</dt>
        <dd data-testid="model-params" title={formatCount(summary.params)}>
          {formatCompact(summary.params)}
        </dd>
        <dt>MACs</dt>
        <dd data-testid="model-macs" title={formatCount(summary.macs)}>
          {formatCompact(summary.macs)}
        </dd>
        <dt>ops</dt>
        <dd title="ops = 2 × MACs, as papers count operations">{formatCompact(summary.ops)} (2 × MACs)</dd>
      </dl>
      {summary.unsupportedOps.length > 0 && (
        <p className="warning" role="note">
          Unsupported operators: {summary.unsupportedOps.join(', ')}. Those layers are shown but cannot be compressed or
          mapped to hardware.
        </p>
      )}
    </section>
  );
}

import type { ImportedData } from '../store/data-slice.ts';
import { modelOutputs } from '../store/data-slice.ts';
import { labelMapping } from '../store/index.ts';
import { useApp } from '../store/index.ts';

const BASIS = {
  names: 'matched by class name',
  'label-values': 'integer labels taken as output indices',
  identity: 'one to one (same number of classes)',
  none: 'no match found: choose an output for each class',
  user: 'set by you',
} as const;

/** Dataset classes and the model output each one counts as when the open model is evaluated on them. */
export function LabelMappingTable({ imported }: { imported: ImportedData }) {
  const model = useApp((s) => s.model);
  const dataset = useApp((s) => s.dataset);
  const { setLabelMapping, resetLabelMapping } = useApp.getState();
  if (!model) return null;
  const mapping = labelMapping({ model, dataset });
  const outputs = modelOutputs(model, dataset.bundled);
  if (!mapping || !outputs) return <p className="warning">The model has no class output to map labels to.</p>;
  const names = mapping.modelClasses;
  return (
    <div className="data-mapping">
      <table className="data-table" data-testid="mapping-table">
        <caption>
          Label mapping to the model&apos;s {outputs.count} outputs: {BASIS[mapping.basis]}.{' '}
          {mapping.basis === 'user' && (
            <button type="button" onClick={resetLabelMapping}>
              Reset
            </button>
          )}
        </caption>
        <thead>
          <tr>
            <th scope="col">dataset class</th>
            <th scope="col" className="num">
              images
            </th>
            <th scope="col">model output</th>
          </tr>
        </thead>
        <tbody>
          {imported.summary.classes.map((name, c) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td className="num">{imported.summary.perClass[c]}</td>
              <td>
                <select
                  value={mapping.toModel[c]}
                  onChange={(e) => setLabelMapping(c, Number(e.target.value))}
                  aria-label={`Model output for class ${name}`}
                  data-testid={`mapping-select-${c}`}
                >
                  <option value={-1}>— left out of evaluation —</option>
                  {names.map((n, o) => (
                    <option key={o} value={o}>
                      {o}: {n}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

import { useState, type FormEvent } from 'react';
import type { ColorMode, Layout, PreprocessSpec, ResizeMode } from '../../core/data/preprocess.ts';
import type { SplitSpec } from '../../core/data/split.ts';
import { formatShape } from '../format.ts';
import type { ImportedData } from '../store/data-slice.ts';
import { useApp } from '../store/index.ts';

const list = (values: number[]) => values.map((v) => String(Number(v.toPrecision(6)))).join(', ');
const parseList = (text: string) => text.split(/[,\s]+/).filter(Boolean).map(Number);

/**
 * Preprocessing and split, pre-filled from the model input (and its training normalisation when
 * known). Applying prepares the data again; a spec that does not fit keeps the previous one.
 */
export function PreprocessForm({ imported }: { imported: ImportedData }) {
  const model = useApp((s) => s.model);
  const running = useApp((s) => s.dataset.job.status === 'running');
  const prepareData = useApp((s) => s.prepareData);
  const [spec, setSpec] = useState(imported.spec);
  const [mean, setMean] = useState(list(imported.spec.mean));
  const [std, setStd] = useState(list(imported.spec.std));
  const [split, setSplit] = useState(imported.split);
  const edit = (patch: Partial<PreprocessSpec>) => setSpec((s) => ({ ...s, ...patch }));
  const editSplit = (patch: Partial<SplitSpec>) => setSplit((s) => ({ ...s, ...patch }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void prepareData({ ...spec, mean: parseList(mean), std: parseList(std) }, split);
  };
  const reset = () => {
    setSpec(imported.suggested);
    setMean(list(imported.suggested.mean));
    setStd(list(imported.suggested.std));
  };
  const sizes = imported.summary.sizes;
  return (
    <form className="data-form" onSubmit={submit} aria-label="Preprocessing and split" data-testid="preprocess-form">
      <fieldset>
        <legend>
          Preprocessing <span className="muted">(model input {model ? formatShape(model.loaded.summary.inputs[0]?.shape ?? []) : '?'}; source images {sizes.slice(0, 2).map((s) => `${s.width}×${s.height}`).join(', ')}{sizes.length > 2 ? ', …' : ''} {imported.summary.grayscale ? 'gray' : 'colour'})</span>
        </legend>
        <label>
          width
          <input type="number" min={1} value={spec.width} onChange={(e) => edit({ width: Number(e.target.value) })} />
        </label>
        <label>
          height
          <input type="number" min={1} value={spec.height} onChange={(e) => edit({ height: Number(e.target.value) })} />
        </label>
        <label>
          resize
          <select value={spec.resize} onChange={(e) => edit({ resize: e.target.value as ResizeMode })}>
            <option value="none">none (sizes must match)</option>
            <option value="stretch">stretch</option>
            <option value="center-crop">center crop</option>
          </select>
        </label>
        <label>
          colour
          <select value={spec.color} onChange={(e) => edit({ color: e.target.value as ColorMode })}>
            <option value="grayscale">grayscale</option>
            <option value="rgb">RGB</option>
          </select>
        </label>
        <label>
          layout
          <select value={spec.layout} onChange={(e) => edit({ layout: e.target.value as Layout })}>
            <option value="NCHW">NCHW</option>
            <option value="NHWC">NHWC</option>
          </select>
        </label>
        <label>
          scale
          <input type="text" inputMode="decimal" value={String(spec.scale)} onChange={(e) => edit({ scale: Number(e.target.value) })} size={12} />
        </label>
        <label>
          mean (per channel)
          <input type="text" value={mean} onChange={(e) => setMean(e.target.value)} size={16} />
        </label>
        <label>
          std (per channel)
          <input type="text" value={std} onChange={(e) => setStd(e.target.value)} size={16} />
        </label>
        <p className="muted data-formula">input = (value × scale − mean) / std, value 0…255 for images</p>
      </fieldset>
      <fieldset>
        <legend>Split (fractions of each class, seeded)</legend>
        <label>
          seed
          <input type="number" min={0} step={1} value={split.seed} onChange={(e) => editSplit({ seed: Number(e.target.value) })} data-testid="split-seed" />
        </label>
        <label>
          calibration
          <input type="number" min={0} max={1} step={0.05} value={split.calibration} onChange={(e) => editSplit({ calibration: Number(e.target.value) })} />
        </label>
        <label>
          training
          <input type="number" min={0} max={1} step={0.05} value={split.training} onChange={(e) => editSplit({ training: Number(e.target.value) })} />
        </label>
        <label>
          validation
          <input type="number" min={0} max={1} step={0.05} value={split.validation} onChange={(e) => editSplit({ validation: Number(e.target.value) })} />
        </label>
      </fieldset>
      <div className="data-form-actions">
        <button type="submit" disabled={running} data-testid="preprocess-apply">
          Apply
        </button>
        <button type="button" onClick={reset} disabled={running}>
          Reset to suggested
        </button>
      </div>
    </form>
  );
}

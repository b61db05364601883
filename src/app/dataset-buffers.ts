/**
 * What a session holds of its data outside the view state: the prepared pixel buffers of the
 * imported dataset, its label-mapped splits, the files it came from (for saving the session),
 * and the bundled Fashion-MNIST splits once fetched. One instance per session (no module state):
 * two sessions, or two tests, never see each other's data.
 */
import { datasetForModel, defaultLabelMapping, type LabelMapping } from '../core/data/labels.ts';
import { EdgefoldError } from '../core/errors.ts';
import { loadDataset, validateManifest, type Dataset, type DatasetManifest } from '../core/eval/dataset.ts';
import type { DatasetInput } from '../core/data/held.ts';
import type { AnyDatasetRef } from '../workers-client/evaluator.ts';
import type { DataSliceState, OpenModel, SavedDataset } from './state.ts';

type DataState = { model: OpenModel | null; dataset: DataSliceState['dataset'] };

export interface PreparedSplits {
  id: string;
  all: Dataset;
  calibration: Dataset;
  training: Dataset;
  validation: Dataset;
}

/** The open model's outputs: how many, and their names (stored by a re-fit, or the bundled classes when the count matches). */
export function modelOutputs(model: OpenModel, bundled: DataSliceState['dataset']['bundled']): { count: number; names?: string[] } | null {
  const last = model.loaded.summary.outputs[0]?.shape.at(-1);
  if (typeof last !== 'number' || last < 1) return null;
  const stored = model.loaded.classNames;
  if (stored?.length === last) return { count: last, names: stored };
  return { count: last, names: bundled?.classes.length === last ? bundled.classes : undefined };
}

const notLoaded = () => new EdgefoldError('bad-input', 'the imported dataset is no longer loaded; import it again.', 'dataset');

export class DatasetBuffers {
  /** Prepared splits of the imported data, by identity id. */
  private splits: PreparedSplits | null = null;
  /** datasetForModel results, by identity id + split + mapping. */
  private readonly mapped = new Map<string, Dataset>();
  private mappingMemo: { key: string; value: LabelMapping | null } | null = null;
  /** What the imported dataset was imported from (files are kept by reference), for saving the session. */
  input: DatasetInput | null = null;
  /** A saved dataset being imported again after a reload: saves meanwhile keep it (a reload then must not lose it). */
  restoring: SavedDataset | null = null;
  private bundledInfo: Promise<DatasetManifest> | undefined;
  private readonly bundledSplits = new Map<string, Promise<Dataset>>();

  /** `manifestUrl`: the bundled dataset's manifest; `fetch`: how its files are read. */
  constructor(
    private readonly bundled: { manifestUrl: () => string; fetch: typeof fetch },
  ) {}

  /** Makes freshly prepared splits the imported data's. */
  hold(splits: PreparedSplits): void {
    this.splits = splits;
    this.mapped.clear();
  }

  release(): void {
    this.splits = null;
    this.input = null;
    this.mapped.clear();
  }

  /** The raw (unmapped) training and validation splits of the imported data with this identity, or throws. */
  rawSplit(id: string, split: 'training' | 'validation'): Dataset {
    if (!this.splits || this.splits.id !== id) throw notLoaded();
    return this.splits[split];
  }

  /** The imported dataset with what re-importing it needs, or null (for the saved session). */
  savedDataset(state: Pick<DataState, 'dataset'>): SavedDataset | null {
    const { imported, source, mappingOverride } = state.dataset;
    if (!imported || !this.input) return null;
    return { input: this.input, spec: imported.spec, split: imported.split, source, mappingOverride };
  }

  /** How the imported classes map onto the open model's outputs: the user's mapping for this model, else the default guess. */
  labelMapping(state: DataState): LabelMapping | null {
    const { model } = state;
    const { imported, mappingOverride, bundled } = state.dataset;
    if (!model || !imported) return null;
    const key = `${model.sha256}|${imported.identity.id}|${mappingOverride?.modelSha256 === model.sha256 ? mappingOverride.toModel.join(',') : ''}|${bundled ? 1 : 0}`;
    if (this.mappingMemo?.key === key) return this.mappingMemo.value;
    const outputs = modelOutputs(model, bundled);
    let value: LabelMapping | null = null;
    if (outputs) {
      value = defaultLabelMapping({ classes: imported.summary.classes, classIds: imported.classIds }, outputs.count, outputs.names);
      if (mappingOverride?.modelSha256 === model.sha256 && mappingOverride.toModel.length === imported.summary.classes.length) {
        value = { ...value, toModel: [...mappingOverride.toModel], basis: 'user' };
      }
    }
    this.mappingMemo = { key, value };
    return value;
  }

  /** A split of the imported data with labels as model outputs (cached: the pixels are copied when classes are left out). */
  mappedSplit(state: DataState, split: 'validation' | 'training' | 'calibration' | 'all'): Dataset {
    const imported = state.dataset.imported;
    const data = this.splits?.[split];
    if (!imported || !data || this.splits?.id !== imported.identity.id) throw notLoaded();
    if (data.count === 0) throw new EdgefoldError('bad-input', `the ${split} split of ${imported.summary.name} is empty: give it a larger fraction.`, `split.${split}`);
    const mapping = this.labelMapping(state);
    if (!mapping) throw new EdgefoldError('bad-input', 'the model has no class output to map the dataset labels to.', 'mapping');
    const key = `${imported.identity.id}|${split}|${mapping.toModel.join(',')}|${mapping.modelClasses.join('\u0001')}`;
    let out = this.mapped.get(key);
    if (!out) {
      const { dropped, ...dataset } = datasetForModel(data, mapping);
      void dropped;
      out = dataset;
      if (this.mapped.size > 8) this.mapped.clear();
      this.mapped.set(key, out);
    }
    return out;
  }

  /** The imported validation split (labels mapped to model outputs) when evaluations use imported data; null for the bundled data. */
  importedEvaluationData(state: DataState): Dataset | null {
    if (state.dataset.source !== 'imported' || !state.dataset.imported) return null;
    return this.mappedSplit(state, 'validation');
  }

  /** The imported calibration split when evaluations use imported data (labels are not used). */
  importedCalibrationData(state: Pick<DataState, 'dataset'>): Dataset | null {
    const { source, imported } = state.dataset;
    if (source !== 'imported' || !imported) return null;
    const calibration = this.splits?.calibration;
    if (!calibration || this.splits?.id !== imported.identity.id) throw notLoaded();
    if (calibration.count === 0) throw new EdgefoldError('bad-input', `the calibration split of ${imported.summary.name} is empty: give it a larger fraction.`, 'split.calibration');
    return calibration;
  }

  /** Evaluation data as the evaluator worker takes it: inline imported data, or null for the bundled split. */
  evaluationRef(state: DataState): AnyDatasetRef | null {
    const data = this.importedEvaluationData(state);
    return data ? { inline: data } : null;
  }

  /** The imported training split (labels mapped to model outputs) when evaluations use imported data; null for the bundled data. */
  trainingRef(state: DataState): AnyDatasetRef | null {
    if (state.dataset.source !== 'imported' || !state.dataset.imported) return null;
    return { inline: this.mappedSplit(state, 'training') };
  }

  calibrationRef(state: Pick<DataState, 'dataset'>): AnyDatasetRef | null {
    const data = this.importedCalibrationData(state);
    return data ? { inline: data } : null;
  }

  /** The dataset identity for the deployment config, when evaluations use imported data. */
  deploymentDataset(state: DataState & { evalLimit: number }):
    | { name: string; split: string; images: number; calibrationSplit: string; sha256: string; preprocessing: object; identity: object }
    | null {
    const { source, imported } = state.dataset;
    if (source !== 'imported' || !imported) return null;
    const evaluation = this.importedEvaluationData(state)!;
    const mapping = this.labelMapping(state);
    return {
      name: imported.summary.name,
      split: 'validation',
      images: Math.max(1, Math.min(state.evalLimit, evaluation.count)),
      calibrationSplit: 'calibration',
      sha256: imported.identity.contentSha256,
      preprocessing: { ...imported.identity.preprocessing },
      identity: {
        id: imported.identity.id,
        format: imported.identity.format,
        classes: imported.identity.classes,
        counts: imported.identity.counts,
        split: imported.identity.split,
        labelMapping: mapping ? { toModel: mapping.toModel, basis: mapping.basis } : null,
      },
    };
  }

  /** The bundled dataset's manifest (fetched once; a failed fetch is tried again next time). */
  bundledManifest(): Promise<DatasetManifest> {
    this.bundledInfo ??= (async () => {
      const response = await this.bundled.fetch(this.bundled.manifestUrl());
      if (!response.ok) throw new EdgefoldError('bad-input', `Could not load the bundled dataset manifest (HTTP ${response.status}).`, 'manifest');
      return validateManifest(await response.json(), 'fmnist.json');
    })();
    this.bundledInfo.catch(() => (this.bundledInfo = undefined));
    return this.bundledInfo;
  }

  /** A split of the bundled dataset, loaded once. */
  bundledSplit(split: string): Promise<Dataset> {
    let pending = this.bundledSplits.get(split);
    if (!pending) {
      pending = (async () => {
        const manifest = await this.bundledManifest();
        return loadDataset(manifest, split, async (rel) => {
          const response = await this.bundled.fetch(new URL(rel, this.bundled.manifestUrl()).href);
          if (!response.ok) throw new EdgefoldError('bad-input', `Could not load ${rel} (HTTP ${response.status}).`, rel);
          return new Uint8Array(await response.arrayBuffer());
        });
      })();
      pending.catch(() => this.bundledSplits.delete(split));
      this.bundledSplits.set(split, pending);
    }
    return pending;
  }
}

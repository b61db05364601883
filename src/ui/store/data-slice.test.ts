import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MODEL, defaultModelMissing, readBytes } from '../../../test/fixtures.ts';
import { datasetIdentity } from '../../core/data/prepare.ts';
import { DEFAULT_SPLIT } from '../../core/data/split.ts';
import { EdgefoldError } from '../../core/errors.ts';
import type { Dataset } from '../../core/eval/dataset.ts';

// The workers are replaced: the slice's own logic (what is kept on errors, mapping, refs) is under test.
const workers = vi.hoisted(() => ({
  importDataset: vi.fn(),
  suggestPreprocessing: vi.fn(),
  prepareImportedDataset: vi.fn(),
  releaseDataset: vi.fn(async () => undefined),
  refitInWorker: vi.fn(),
  biasCorrectInWorker: vi.fn(),
  evaluateInWorker: vi.fn(async () => ({ top1: 0.5, top5: 1, ci95: [0.4, 0.6], n: 2, dataset: 'x', split: 'validation', threads: 1 })),
}));
vi.mock('../../workers-client/data.ts', () => ({ ...workers, inputFromFiles: vi.fn(), inputFromDrop: vi.fn() }));
vi.mock('../../workers-client/evaluator.ts', () => ({ evaluateInWorker: workers.evaluateInWorker, evaluateConfigInWorker: vi.fn(), compressInWorker: vi.fn() }));

const { useApp } = await import('./index.ts');
const { calibrationData, evaluationData } = await import('./index.ts');
const { currentRecoverySteps, deploymentDataset, labelMapping } = await import('./index.ts');

const spec = { width: 28, height: 28, resize: 'none' as const, color: 'grayscale' as const, scale: 1 / 255, mean: [0.286], std: [0.353], layout: 'NCHW' as const };
const classes = ['Sneaker', 'bag', 'other'];

function split(name: string, labels: number[]): Dataset {
  return {
    name: 'shop',
    split: name,
    count: labels.length,
    shape: [1, 28, 28],
    classes,
    pixels: new Uint8Array(labels.length * 784).fill(7),
    labels: Uint8Array.from(labels),
    preprocessing: { scale: 1 / 255, mean: [0.286], std: [0.353] },
  };
}

function prepared(content: string) {
  const counts = { total: 9, perClass: [3, 3, 3], calibration: 3, training: 3, validation: 3 };
  return {
    identity: datasetIdentity({ name: 'shop', format: 'image-folder', contentSha256: content, classes }, counts, spec, DEFAULT_SPLIT),
    warnings: [],
    preview: [],
    all: split('all', [0, 0, 0, 1, 1, 1, 2, 2, 2]),
    calibration: split('calibration', [0, 1, 2]),
    training: split('training', [0, 1, 2]),
    validation: split('validation', [0, 1, 2]),
  };
}

const answer = (key: string) => ({
  key,
  summary: { name: 'shop', format: 'image-folder', count: 9, classes, perClass: [3, 3, 3], sizes: [{ width: 28, height: 28, channels: 4, count: 9 }], grayscale: true, values: { lo: 0, step: 1, quantizationError: 0, kind: 'pixels' }, contentSha256: 'a'.repeat(64), warnings: [] },
});
const input = { kind: 'file' as const, name: 'shop.zip', file: new Blob([]) };

describe.skipIf(defaultModelMissing)('the data slice', () => {
  const initial = useApp.getState();
  beforeEach(async () => {
    vi.clearAllMocks();
    useApp.setState(initial, true);
    expect(await useApp.getState().openModelBytes(readBytes(DEFAULT_MODEL), 'dscnn-fmnist.onnx')).toBe(true);
    workers.importDataset.mockResolvedValue(answer('ds-1'));
    workers.suggestPreprocessing.mockResolvedValue(spec);
    workers.prepareImportedDataset.mockResolvedValue(prepared('a'.repeat(64)));
    expect(await useApp.getState().importData(input)).toBe(true);
  });

  it('imports and prepares a dataset; evaluation stays on the bundled data until chosen', async () => {
    const s = useApp.getState();
    expect(s.dataset.imported?.identity.counts.validation).toBe(3);
    expect(s.dataset.job.status).toBe('done');
    expect(workers.prepareImportedDataset).toHaveBeenCalledWith('ds-1', spec, DEFAULT_SPLIT, expect.objectContaining({ inputShape: [null, 1, 28, 28] }));
    expect(evaluationData(s)).toMatchObject({ split: 'test' });
    expect(calibrationData(s)).toMatchObject({ split: 'calibration' });
    expect(deploymentDataset(s)).toBeNull();
  });

  it('a failed import names the file and keeps the previous dataset', async () => {
    const before = useApp.getState().dataset.imported;
    workers.importDataset.mockRejectedValueOnce(new EdgefoldError('bad-input', 'bad.zip: b/2.png could not be read as an image.'));
    expect(await useApp.getState().importData({ ...input, name: 'bad.zip' })).toBe(false);
    const s = useApp.getState();
    expect(s.dataset.job.status).toBe('error');
    expect(s.dataset.job.error).toMatch(/Import of bad.zip failed: bad.zip: b\/2.png could not be read.*shop is still in use/);
    expect(s.dataset.imported).toBe(before);
    // a new key that fails in preparation is released, the old one kept
    workers.importDataset.mockResolvedValueOnce(answer('ds-2'));
    workers.prepareImportedDataset.mockRejectedValueOnce(new EdgefoldError('bad-input', 'preprocessing gives 1x32x32 (NCHW) but the model takes 1x28x28 (NCHW).', 'preprocessing'));
    expect(await useApp.getState().importData(input)).toBe(false);
    expect(workers.releaseDataset).toHaveBeenCalledWith('ds-2');
    expect(workers.releaseDataset).not.toHaveBeenCalledWith('ds-1');
    expect(useApp.getState().dataset.imported).toBe(before);
    expect(useApp.getState().dataset.job.error).toMatch(/1x32x32/);
  });

  it('maps classes onto the model outputs by name, lets the user change it, and evaluates on the mapped validation split', async () => {
    const s = useApp.getState();
    const mapping = labelMapping(s)!;
    // no bundled class names here (nothing to fetch from), no names in the model: nothing matches yet
    expect(mapping.basis).toBe('none');
    expect(mapping.toModel).toEqual([-1, -1, -1]);
    s.setLabelMapping(0, 7);
    s.setLabelMapping(1, 8);
    expect(labelMapping(useApp.getState())!.toModel).toEqual([7, 8, -1]);
    useApp.getState().setEvaluationSource('imported');
    const state = useApp.getState();
    expect(state.dataset.source).toBe('imported');
    const ref = evaluationData(state) as { inline: Dataset };
    expect(Array.from(ref.inline.labels)).toEqual([7, 8]); // "other" is left out
    expect(ref.inline.count).toBe(2);
    expect((calibrationData(state) as { inline: Dataset }).inline.split).toBe('calibration');
    // the baseline is measured again on the new data (after the measurement cache said it has none)
    await vi.waitFor(() => expect(workers.evaluateInWorker).toHaveBeenCalled());
    const dataset = deploymentDataset(state)!;
    expect(dataset).toMatchObject({ name: 'shop', split: 'validation', images: 2, calibrationSplit: 'calibration', sha256: 'a'.repeat(64) });
    expect(dataset.preprocessing).toMatchObject({ width: 28 });
    expect(dataset.identity).toMatchObject({ id: state.dataset.imported!.identity.id, labelMapping: { toModel: [7, 8, -1], basis: 'user' } });
  });

  it('a preprocessing the model cannot take keeps the prepared dataset', async () => {
    const before = useApp.getState().dataset.imported!;
    workers.prepareImportedDataset.mockRejectedValueOnce(new EdgefoldError('bad-input', 'preprocessing: std needs 1 non-zero number(s), one per channel (got [0]).', 'preprocessing.std'));
    expect(await useApp.getState().prepareData({ ...spec, std: [0] }, DEFAULT_SPLIT)).toBe(false);
    expect(useApp.getState().dataset.imported).toBe(before);
    expect(useApp.getState().dataset.job.error).toMatch(/These settings cannot be used: preprocessing: std/);
  });

  it('recovery steps go into the deployment config only for the design they were run on', () => {
    const steps = [{ step: 'bias-correction' as const, data: { dataset: 'shop', split: 'calibration', images: 3 } }];
    useApp.setState((s) => ({ recovery: { ...s.recovery, status: 'done', key: 'stale', steps } }));
    expect(currentRecoverySteps(useApp.getState())).toEqual([]);
  });
});

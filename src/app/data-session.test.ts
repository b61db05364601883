/**
 * The session's data side with real in-process workers (onnxruntime-node, the bundled model and
 * Fashion-MNIST, a real ImageFolder .zip of PNGs): no module is mocked. A "reload" is a second
 * session over the same stores with a fresh state.
 */
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledSplits, inProcessDeps, initialSessionState, openedModel, persistentStores, sessionStore, until } from '../../test/session-harness.ts';
import { defaultModelMissing } from '../../test/fixtures.ts';
import { encodePng } from '../core/data/node-decoder.ts';
import { DEFAULT_SPLIT } from '../core/data/split.ts';
import type { Dataset } from '../core/eval/dataset.ts';
import { sha256Hex } from '../core/hash.ts';
import * as edits from '../ui/store/design-edits.ts';
import { DataSession, initialDataState, recoveryPanelKey, type DataSessionState } from './data-session.ts';
import { Session, idleJob, type SessionDeps } from './session.ts';
import type { OpenModel } from './state.ts';

/** Test images per measurement (the imported data has fewer: its validation split is used whole). */
const IMAGES = 200;
const CALIBRATION_IMAGES = 256;
const LAST_PW = '/blocks/blocks.5/pw/conv/Conv';
/** Fashion-MNIST classes 7 and 8 under their own names, and class 0 under a name the model does not know. */
const FOLDERS = [
  { name: 'Sneaker', label: 7 },
  { name: 'Bag', label: 8 },
  { name: 'other', label: 0 },
];
const PER_CLASS = 20;

/** An ImageFolder .zip of real test images (PNG, 28x28 gray); `broken` adds a file that is not an image. */
function shopZip(test: Dataset, broken = false): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const { name, label } of FOLDERS) {
    let n = 0;
    for (let i = 0; i < test.count && n < PER_CLASS; i++) {
      if (test.labels[i] !== label) continue;
      files[`shop/${name}/${n++}.png`] = encodePng(28, 28, 1, test.pixels.subarray(i * 784, (i + 1) * 784));
    }
  }
  if (broken) files['shop/Bag/broken.png'] = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  return zipSync(files);
}

describe.skipIf(defaultModelMissing)('the data session, with real in-process workers', () => {
  let model: OpenModel;
  let test: Dataset;
  const loadSplit = bundledSplits(CALIBRATION_IMAGES);
  const stores = persistentStores();
  const released: string[] = [];
  let jobs = 0;

  const newSession = () => {
    const count = (workers: SessionDeps['workers']): SessionDeps['workers'] => ({
      ...workers,
      evaluate: (o) => (jobs++, workers.evaluate(o)),
      data: {
        ...workers.data,
        compress: (o) => (jobs++, workers.data.compress(o)),
        releaseDataset: (key) => (released.push(key), workers.data.releaseDataset(key)),
      },
    });
    const store = sessionStore<DataSessionState>({ ...initialSessionState(IMAGES), ...initialDataState() });
    const session = new Session(store, inProcessDeps(stores, loadSplit, { wrap: count }));
    const data = new DataSession(session, {
      // As the page does: the re-fitted model becomes the open model (its baseline then measured again).
      openModel: async (bytes, fileName) => store.setState({ model: await openedModel(bytes, fileName), baseline: idleJob(), measured: idleJob() }),
    });
    return { session, data, store };
  };
  const file = (bytes: Uint8Array, name = 'shop.zip') => ({ kind: 'file' as const, name, file: new Blob([bytes as Uint8Array<ArrayBuffer>]) });

  beforeAll(async () => {
    model = await openedModel();
    test = await loadSplit({ split: 'test' });
  });

  it('imports a real .zip, keeps the previous dataset on a failed import or preparation, maps classes by name and evaluates on the mapped validation split', async () => {
    const { session, data, store } = newSession();
    store.setState({ model, baseline: { status: 'done', progress: { done: 0, total: 0 } } });
    expect(await data.importData(file(shopZip(test)))).toBe(true);
    let s = store.getState();
    const imported = s.dataset.imported!;
    expect(s.dataset.job.status).toBe('done');
    expect(imported.summary).toMatchObject({ count: 3 * PER_CLASS, classes: ['Bag', 'Sneaker', 'other'] });
    expect(imported.spec).toMatchObject({ width: 28, height: 28 });
    expect(imported.identity.counts.total).toBe(3 * PER_CLASS);
    expect(imported.split).toEqual(DEFAULT_SPLIT);
    expect(imported.preview.length).toBeGreaterThan(0);
    // Evaluation stays on the bundled test split until the user chooses the imported data.
    expect(session.evaluationData(s)).toMatchObject({ split: 'test' });
    expect(session.buffers.deploymentDataset(s)).toBeNull();

    // A file that is not an image: the error names it, the dataset stays.
    expect(await data.importData(file(shopZip(test, true), 'bad.zip'))).toBe(false);
    s = store.getState();
    expect(s.dataset.job.status).toBe('error');
    expect(s.dataset.job.error).toMatch(/^Import of bad\.zip failed: .*broken\.png.*The dataset shop is still in use\.$/);
    expect(s.dataset.imported).toBe(imported);

    // Settings the model cannot take: refused by the real preprocessing check, the prepared dataset stays.
    expect(await data.prepareData({ ...imported.spec, std: [0] }, DEFAULT_SPLIT)).toBe(false);
    expect(store.getState().dataset.imported).toBe(imported);
    expect(store.getState().dataset.job.error).toMatch(/^These settings cannot be used: .*std/);
    expect(released).not.toContain(imported.key);

    // Names match the bundled classes the model was trained on; "other" is left out.
    const mapping = session.buffers.labelMapping(store.getState())!;
    expect(mapping.basis).toBe('names');
    expect(mapping.toModel).toEqual([8, 7, -1]);
    data.setLabelMapping(2, 0);
    expect(session.buffers.labelMapping(store.getState())).toMatchObject({ basis: 'user', toModel: [8, 7, 0] });
    data.resetLabelMapping();
    expect(session.buffers.labelMapping(store.getState())!.toModel).toEqual([8, 7, -1]);

    // Evaluating on the imported data: the float baseline is measured again, on the mapped validation split.
    data.setEvaluationSource('imported');
    await until(() => store.getState().baseline.status === 'done' && store.getState().baseline.result?.split === 'validation', 'the baseline on the imported data');
    s = store.getState();
    const ref = session.evaluationData(s) as { inline: Dataset };
    // "other" is left out of every split the model sees.
    expect(session.buffers.mappedSplit(s, 'all').count).toBe(2 * PER_CLASS);
    expect(ref.inline.count).toBeLessThan(imported.identity.counts.validation);
    expect(new Set(ref.inline.labels)).toEqual(new Set([7, 8]));
    expect(s.baseline.result).toMatchObject({ dataset: 'shop', split: 'validation', n: ref.inline.count });
    expect(s.baseline.result!.top1).toBeGreaterThan(0.7); // sneakers and bags, by a model trained on them
    expect(session.buffers.deploymentDataset(s)).toMatchObject({ name: 'shop', split: 'validation', images: ref.inline.count, calibrationSplit: 'calibration' });

    // Removing the dataset releases it and goes back to the bundled data.
    data.removeDataset();
    expect(released).toContain(imported.key);
    expect(store.getState().dataset).toMatchObject({ imported: null, source: 'bundled' });
  }, 240_000);

  it('re-fits the head on the imported classes and opens the new model; a cancel leaves the open model', async () => {
    const { data, store } = newSession();
    store.setState({ model, baseline: { status: 'done', progress: { done: 0, total: 0 } } });
    expect(await data.importData(file(shopZip(test)))).toBe(true);
    data.setTrainSettings({ maxIterations: 30 });
    const cancelled = data.runHeadRefit();
    data.cancelHeadRefit();
    await cancelled;
    expect(store.getState().headRefit.status).toBe('cancelled');
    expect(store.getState().model).toBe(model);

    await data.runHeadRefit();
    const s = store.getState();
    expect(s.headRefit.error).toBeUndefined();
    expect(s.headRefit.status).toBe('done');
    expect(s.headRefit.result).toMatchObject({ fromSha256: model.sha256, toFileName: 'dscnn-fmnist.refit.onnx', classes: ['Bag', 'Sneaker', 'other'] });
    expect(s.headRefit.curve.length).toBeGreaterThan(0);
    expect(s.model!.fileName).toBe('dscnn-fmnist.refit.onnx');
    expect(s.model!.loaded.summary.outputs[0]?.shape.at(-1)).toBe(3);
    expect(s.dataset.source).toBe('imported');
  }, 240_000);

  it('runs the Recovery panel for a design and shows its result after a reload at once, with its model and no new job', async () => {
    const { session, data, store } = newSession();
    const design = edits.setBits(edits.setPruneRatio(store.getState().design, [LAST_PW], 0.25), [LAST_PW], { weightBits: 4 });
    store.setState({ model, design, baseline: { status: 'done', progress: { done: 0, total: 0 } } });
    // On the imported data (a few images: the run stays short); the reload imports the same files again.
    const zip = shopZip(test);
    expect(await data.importData(file(zip))).toBe(true);
    data.setEvaluationSource('imported');
    data.setRecoverySettings({ headRefit: false });
    await data.runRecovery();
    const run = store.getState().recovery;
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('done');
    expect(run.jobs).toBe(1);
    expect(run.key).toBe(session.keys.design(store.getState()));
    expect(run.steps.map((step) => step.step)).toEqual(['bias-correction']);
    const evaluated = (session.evaluationData(store.getState()) as { inline: Dataset }).inline.count;
    expect(run.compressed).toMatchObject({ dataset: 'shop', split: 'validation', images: evaluated });
    expect(run.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(data.currentRecoverySteps(store.getState())).toBe(run.steps);
    const kept = data.recoveredModel(store.getState())!;
    expect(await sha256Hex(kept.bytes)).toBe(run.sha256);

    // A reload: a new session over the same stores shows the result at once, starting nothing.
    const before = jobs;
    const reload = newSession();
    reload.store.setState({ model, design: structuredClone(design), baseline: { status: 'done', progress: { done: 0, total: 0 } } });
    expect(await reload.data.importData(file(zip))).toBe(true);
    const stop = reload.session.start();
    reload.store.setState({ dataset: { ...reload.store.getState().dataset, source: 'imported' }, measured: { status: 'done', progress: { done: 0, total: 0 } } });
    await until(() => reload.store.getState().recovery.status === 'done', 'the stored recovery result', 5_000);
    const shown = reload.store.getState().recovery;
    expect(shown).toMatchObject({ fromCache: true, jobs: 0, key: run.key, sha256: run.sha256, steps: run.steps, compressed: run.compressed, settings: run.settings });
    const exported = reload.data.recoveredModel(reload.store.getState())!;
    expect(await sha256Hex(exported.bytes)).toBe(run.sha256);
    expect(exported.fileName).toBe('dscnn-fmnist.recovered.onnx');
    expect(reload.data.currentRecoverySteps(reload.store.getState())).toEqual(run.steps);
    expect(jobs).toBe(before);

    // Another design has no recovery result of its own: the panel keeps the earlier one, marked stale (its key), and exports none.
    reload.session.editDesign((d) => edits.setPruneRatio(d, [LAST_PW], 0.5));
    expect(await reload.data.restoreRecovery()).toBe(false);
    expect(reload.data.currentRecoverySteps(reload.store.getState())).toEqual([]);
    expect(reload.data.recoveredModel(reload.store.getState())).toBeNull();
    stop();

    // A model entry trimmed from the store (or changed) is not shown as this result.
    await stores.recoveredModels.set(recoveryPanelKey(run.key!), { ...(await stores.recoveredModels.get(recoveryPanelKey(run.key!)))!, sha256: 'f'.repeat(64) });
    const third = newSession();
    third.store.setState({ model, design: structuredClone(design) });
    expect(await third.data.importData(file(zip))).toBe(true);
    third.store.setState({ dataset: { ...third.store.getState().dataset, source: 'imported' } });
    expect(third.data.recoveryKey()).toBe(run.key);
    expect(await third.data.restoreRecovery()).toBe(false);
    expect(third.store.getState().recovery.status).toBe('idle');
  }, 240_000);
});

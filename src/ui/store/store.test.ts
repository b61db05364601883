import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, KWS, defaultModelMissing, readBytes, thirdPartyMissing } from '../../../test/fixtures.ts';
import { activationControl } from '../../app/data-fit.ts';
import { defaultDesign } from '../../core/design/design.ts';
import { designKey, useApp } from './index.ts';
import { deriveDesign } from './derived.ts';
import { quantisedWidthsKey, useQuantisedWidths } from './quantised-widths.ts';

const LAST_PW = '/blocks/blocks.5/pw/conv/Conv';
const FIRST_PW = '/blocks/blocks.0/pw/conv/Conv';

describe('design keys', () => {
  it('change with the evaluation size', () => {
    const state = { model: null, dataset: useApp.getState().dataset, design: defaultDesign() };
    expect(designKey({ ...state, evalLimit: 500 })).not.toBe(designKey({ ...state, evalLimit: 1000 }));
  });
});

describe.skipIf(defaultModelMissing)('the app store', () => {
  const initial = useApp.getState();
  beforeEach(async () => {
    useApp.setState(initial, true);
    expect(await useApp.getState().openModelBytes(readBytes(DEFAULT_MODEL), 'dscnn-fmnist.onnx')).toBe(true);
  });
  const metrics = () => deriveDesign(useApp.getState()).metrics!;

  it('opens a model with its sha256 and a default design', () => {
    const s = useApp.getState();
    expect(s.model?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.design).toEqual(defaultDesign());
    expect(metrics().params).toBe(s.model!.loaded.summary.params);
  });

  it('a broken file sets an error and keeps the open model and design', async () => {
    const s = useApp.getState();
    s.setBits([LAST_PW], { weightBits: 4 });
    const before = useApp.getState();
    expect(await s.openModelBytes(new TextEncoder().encode('not onnx'), 'broken.onnx')).toBe(false);
    const after = useApp.getState();
    expect(after.loadError).toMatch(/broken.onnx is not an ONNX model/);
    expect(after.model).toBe(before.model);
    expect(after.design).toBe(before.design);
  });

  it('pruning edits change the derived layer view; null removes the setting', () => {
    const s = useApp.getState();
    s.setPruneKeep([LAST_PW], 128);
    const m = metrics();
    expect(m.layers.find((l) => l.name === LAST_PW)!.outputShape[1]).toBe(128);
    expect(m.params).toBeLessThan(s.model!.loaded.summary.params);
    s.setPruneKeep([LAST_PW], null);
    expect(useApp.getState().design.compression.layers).toEqual({});
  });

  it('bulk bit edits apply to every named layer, and an edit drops the stale measurement', () => {
    const s = useApp.getState();
    useApp.setState({ measured: { status: 'done', progress: { done: 1, total: 1 } } });
    s.setBits([LAST_PW, FIRST_PW], { weightBits: 3, activationBits: null });
    const st = useApp.getState();
    expect(st.measured.status).toBe('idle');
    expect(st.design.compression.layers![LAST_PW]).toEqual({ weightBits: 3, activationBits: null });
    expect(metrics().resolved.quant[FIRST_PW]).toMatchObject({ weightBits: 3, activationBits: null });
  });

  it('auto-fold writes a folding that fits the budget and raises FPS', () => {
    const fps0 = metrics().estimate.fps;
    useApp.getState().runAutoFold('max-fps');
    const st = useApp.getState();
    expect(st.autoFold.status).toBe('done');
    expect(Object.keys(st.design.hardware.layers).length).toBeGreaterThan(0);
    expect(metrics().estimate.fps).toBeGreaterThan(fps0);
    expect(metrics().estimate.fits).toBe(true);
  });

  it('an unreachable FPS target keeps the folding the user had and says what was reached', () => {
    useApp.getState().runAutoFold({ targetFps: 366 });
    const folded = useApp.getState().design.hardware.layers;
    const fps = metrics().estimate.fps;
    // 10^7 FPS: beyond any folding of this model at 100 MHz (fewer than 10 cycles per frame).
    useApp.getState().runAutoFold({ targetFps: 1e7 });
    const st = useApp.getState();
    expect(st.design.hardware.layers).toBe(folded);
    expect(metrics().estimate.fps).toBe(fps);
    const message = st.autoFold.status === 'done' ? st.autoFold.result?.message : '';
    expect(message).toMatch(/out of reach at 100 MHz: best \d+(\.\d)? FPS/);
    expect(message).toContain(`The previous folding is kept (${fps.toFixed(1)} FPS).`);
  });

  it('design points: save, rename, restore, compare, delete', () => {
    const s = useApp.getState();
    s.savePoint('baseline');
    s.setPruneKeep([LAST_PW], 64);
    s.savePoint('');
    let st = useApp.getState();
    expect(st.points.map((p) => p.name)).toEqual(['baseline', 'Design 2']);
    expect(st.points[1].metrics.params).toBeLessThan(st.points[0].metrics.params);
    expect(st.points[0].metrics.measuredTop1).toBeNull(); // nothing was measured for it
    s.renamePoint(st.points[1].id, 'half of the last layer');
    s.restorePoint(st.points[0].id);
    expect(useApp.getState().design).toEqual(st.points[0].design);
    s.setCompare([st.points[0].id, st.points[1].id]);
    s.deletePoint(st.points[0].id);
    st = useApp.getState();
    expect(st.points.map((p) => p.name)).toEqual(['half of the last layer']);
    expect(st.compare).toBeNull();
  });

  it('the requantisers count the quantised bias widths once known for exactly this design (model, compression, data)', () => {
    useQuantisedWidths.setState({ key: null, widths: null });
    const requantNotes = () => metrics().estimate.layers.flatMap((l) => l.engines.filter((e) => e.kind === 'thresholding').map((e) => e.notes.join(' ')));
    const bounded = requantNotes();
    expect(bounded.length).toBeGreaterThan(0);
    expect(bounded.every((n) => n.includes('taken as the accumulator'))).toBe(true);
    const names = metrics().estimate.layers.filter((l) => l.engines.some((e) => e.kind === 'thresholding')).map((l) => l.name);
    useQuantisedWidths.setState({ key: quantisedWidthsKey(useApp.getState()), widths: Object.fromEntries(names.map((n) => [n, 10])) });
    expect(requantNotes().every((n) => n.includes('10-b biases of the quantised layer'))).toBe(true);
    // Another compression: those widths are not its own, the bound is back.
    useApp.getState().setBits([LAST_PW], { weightBits: 4 });
    expect(requantNotes().every((n) => n.includes('taken as the accumulator'))).toBe(true);
    useQuantisedWidths.setState({ key: null, widths: null });
  });

  it('a saved point records the measured accuracy only when it was measured for exactly that design', () => {
    const s = useApp.getState();
    const key = designKey(useApp.getState());
    const result = { top1: 0.9, top5: 1, ci95: [0.88, 0.92] as [number, number], n: 500, loss: 0.3, perClass: [], confusion: [], dataset: 'd', split: 't', imagesPerSecond: 1, seconds: 1, threads: 1, compressedBytes: 1, calibrationImages: 1 };
    useApp.setState({ measured: { status: 'done', progress: { done: 500, total: 500 }, result: { ...result, designKey: key } } });
    s.savePoint('measured');
    useApp.setState({ measured: { status: 'done', progress: { done: 500, total: 500 }, result: { ...result, designKey: 'other' } } });
    s.savePoint('stale');
    const [a, b] = useApp.getState().points;
    expect(a.metrics.measuredTop1).toBe(0.9);
    expect(b.metrics.measuredTop1).toBeNull();
  });
});

describe.skipIf(thirdPartyMissing)('a third-party model without matching data', () => {
  it('opens weights-only; the model-wide activation width can be turned on and off again', async () => {
    useApp.setState(useApp.getInitialState(), true);
    expect(await useApp.getState().openModelBytes(readBytes(KWS), 'kws.onnx')).toBe(true);
    const opened = useApp.getState();
    expect(opened.design.compression.quant?.activationBits).toBeNull();
    expect(activationControl(opened).canQuantize).toBe(false);
    const quantOf = () => Object.values(deriveDesign(useApp.getState()).metrics!.resolved.quant).filter(Boolean);
    expect(quantOf().every((q) => q!.activationBits === null)).toBe(true);

    opened.setActivationBits(8);
    expect(useApp.getState().design.compression.quant?.activationBits).toBe(8);
    expect(quantOf().length).toBeGreaterThan(0);
    expect(quantOf().every((q) => q!.activationBits === 8)).toBe(true);
    // The other scheme settings stay as they were.
    expect({ ...useApp.getState().design.compression.quant, activationBits: null }).toEqual(opened.design.compression.quant);

    useApp.getState().setActivationBits(null);
    expect(quantOf().every((q) => q!.activationBits === null)).toBe(true);
  });
});

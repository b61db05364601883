/**
 * The session with real in-process workers (onnxruntime-node, the bundled model and data): no
 * module is mocked. A "reload" is a second Session over the same stores with a fresh state.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledSplits, inProcessDeps, initialSessionState, openedModel, persistentStores, sessionStore, until } from '../../test/session-harness.ts';
import { defaultModelMissing } from '../../test/fixtures.ts';
import { DEFAULT_RECOVERY, defaultDesign, type Design } from '../core/design/design.ts';
import { sha256Hex } from '../core/hash.ts';
import * as edits from '../ui/store/design-edits.ts';
import { QUIET_MS, Session, type PointerSource, type SessionDeps } from './session.ts';
import type { OpenModel } from './state.ts';

const LAST_PW = '/blocks/blocks.5/pw/conv/Conv';
const IMAGES = 200;
/** Calibration images for reconstruction and activation ranges (a prefix of the split keeps the test short). */
const CALIBRATION_IMAGES = 256;

/** Timers the test fires by hand: the quiet period passes when the test says so. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout: (fn: () => void, ms: number) => {
      expect(ms).toBe(QUIET_MS);
      pending.set(++next, fn);
      return next;
    },
    clearTimeout: (handle: unknown) => void pending.delete(handle as number),
    /** Runs every pending timer; how many ran. */
    flush() {
      const fns = [...pending.values()];
      pending.clear();
      fns.forEach((fn) => fn());
      return fns.length;
    },
  };
}

function pointers(): PointerSource & { emit(type: 'pointerdown' | 'pointerup'): void } {
  const listeners = new Map<string, Set<() => void>>();
  return {
    addEventListener: (type, fn) => void (listeners.get(type) ?? listeners.set(type, new Set()).get(type)!).add(fn),
    removeEventListener: (type, fn) => void listeners.get(type)?.delete(fn),
    emit: (type) => listeners.get(type)?.forEach((fn) => fn()),
  };
}

describe.skipIf(defaultModelMissing)('the session, with real in-process workers', () => {
  let model: OpenModel;
  const loadSplit = bundledSplits(CALIBRATION_IMAGES);
  const stores = persistentStores();
  let evaluations = 0;

  const newSession = (timers = manualTimers()) => {
    const counting = (workers: SessionDeps['workers']): SessionDeps['workers'] => ({
      ...workers,
      evaluateConfig: (o) => (evaluations++, workers.evaluateConfig(o)),
      retrain: (o) => (evaluations++, workers.retrain(o)),
    });
    const store = sessionStore(initialSessionState(IMAGES));
    return { session: new Session(store, inProcessDeps(stores, loadSplit, { timers, wrap: counting })), store, timers };
  };

  beforeAll(async () => {
    model = await openedModel();
  });

  it('measures the baseline of an opened model, then a design once it is still (not during a drag); a reload shows it from the cache with no job', async () => {
    const { session, store, timers } = newSession();
    const pointer = pointers();
    const stop = session.start(pointer);
    store.setState({ model });
    await until(() => store.getState().baseline.status === 'done', 'the baseline');
    const baseline = store.getState().baseline.result!;
    expect(baseline.n).toBe(IMAGES);
    expect(baseline.top1).toBeGreaterThan(0.8);

    // A drag: the pointer is down while the design changes; the quiet timer never fires a job.
    pointer.emit('pointerdown');
    session.editDesign((d) => edits.setBits(d, [LAST_PW], { weightBits: 3 }));
    timers.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(store.getState().measureJobs).toBe(0);
    expect(store.getState().measured.status).toBe('idle');

    // Released and still: one measurement of exactly this design.
    pointer.emit('pointerup');
    expect(timers.flush()).toBe(1);
    await until(() => store.getState().measured.status === 'done', 'the measurement');
    const measured = store.getState().measured.result!;
    expect(store.getState().measureJobs).toBe(1);
    expect(measured.designKey).toBe(session.keys.design(store.getState()));
    expect(measured.n).toBe(IMAGES);
    expect(measured.fromCache).toBeUndefined();
    stop();

    // The reload: a new session over the same stores shows both results at once, starting no job.
    const before = evaluations;
    const reload = newSession();
    const stopReload = reload.session.start();
    reload.store.setState({ model, design: store.getState().design });
    await until(() => reload.store.getState().measured.status === 'done', 'the cached measurement', 5_000);
    expect(reload.store.getState().baseline.result?.fromCache).toBe(true);
    expect(reload.store.getState().measured.result).toMatchObject({ top1: measured.top1, n: IMAGES, fromCache: true });
    expect(reload.store.getState().measureJobs).toBe(0);
    expect(evaluations).toBe(before);
    stopReload();
  }, 240_000);

  it('a stopped session reacts to nothing: no baseline for a newly opened model, no timer', () => {
    const { session, store, timers } = newSession();
    session.start()();
    store.setState({ model });
    expect(store.getState().baseline.status).toBe('idle');
    expect(timers.flush()).toBe(0);
  });

  it('keeps the recovered model of a reconstructed design, so after a reload its export is the recovered ONNX without recovering again', async () => {
    const { session, store } = newSession();
    const pruned: Design = { ...edits.setPruneRatio(defaultDesign(), [LAST_PW], 0.5), recovery: { ...DEFAULT_RECOVERY, reconstruct: true } };
    store.setState({ model, design: pruned, baseline: { status: 'done', progress: { done: 0, total: 0 } } });
    await session.measureDesign();
    const measured = store.getState().measured.result!;
    expect(store.getState().measured.status).toBe('done');
    expect(measured.recovery?.map((r) => r.step)).toEqual(['reconstruct']);
    expect(measured.sha256).toMatch(/^[0-9a-f]{64}$/);

    const before = evaluations;
    const reload = newSession();
    reload.store.setState({ model, design: structuredClone(pruned), baseline: { status: 'done', progress: { done: 0, total: 0 } } });
    await reload.session.measureDesign({ cacheOnly: true });
    expect(reload.store.getState().measured.result?.fromCache).toBe(true);
    const recovered = await reload.session.recoveredModel();
    expect(recovered).not.toBeNull();
    // The bytes are the model that was measured: their hash is the measurement's.
    expect(await sha256Hex(recovered!.bytes)).toBe(measured.sha256);
    expect(recovered!.bytes.byteLength).toBeLessThan(model.bytes.byteLength); // pruned
    expect(evaluations).toBe(before);

    // Another design has no recovered model.
    reload.session.editDesign((d) => edits.setPruneRatio(d, [LAST_PW], 0.25));
    expect(await reload.session.recoveredModel()).toBeNull();
  }, 240_000);

  it('retrains a design with its recipe: the result belongs to the retrain key, its model is kept; a cancel keeps the previous result', async () => {
    const { session, store } = newSession();
    const design: Design = { ...edits.setPruneRatio(defaultDesign(), [LAST_PW], 0.25), recovery: { ...DEFAULT_RECOVERY, retrain: { ...DEFAULT_RECOVERY.retrain, epochs: 1, trainImages: 128, kd: null } } };
    store.setState({ model, design, baseline: { status: 'done', progress: { done: 0, total: 0 } } });
    await session.retrainDesign();
    const s = store.getState();
    expect(s.retrain.error).toBeUndefined();
    expect(s.retrain.status).toBe('done');
    const result = s.retrain.result!;
    expect(result.designKey).toBe(session.keys.retrain(s));
    expect(result.designKey).not.toBe(session.keys.design(s));
    expect(result.n).toBe(IMAGES);
    expect(result.recovery?.map((r) => r.step)).toEqual(['qat']);
    expect(s.retrain.curve.length).toBeGreaterThan(0);
    expect(session.currentMeasurement(s)).toBe(result);
    const kept = await session.recoveredModel(s);
    expect(await sha256Hex(kept!.bytes)).toBe(result.sha256);

    const cancelled = session.retrainDesign();
    session.cancelRetrain();
    await cancelled;
    expect(store.getState().retrain.status).toBe('cancelled');
    expect(store.getState().retrain.result).toBe(result);

    // Switching reconstruction changes what the design's measurement is of: it is measured again.
    store.setState({ measured: { status: 'done', progress: { done: 1, total: 1 }, result } });
    session.setRecovery({ reconstruct: true });
    expect(store.getState().measured.status).toBe('idle');
    expect(store.getState().design.recovery?.reconstruct).toBe(true);
    expect(session.currentMeasurement(store.getState())).toBeNull();
  }, 240_000);
});

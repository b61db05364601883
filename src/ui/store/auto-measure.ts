/**
 * Measured accuracy follows the design, but never during a drag: a measurement starts once the
 * design has been still for QUIET_MS and no pointer is held down (a slider being dragged). A
 * design edit cancels the running measurement (editDesign), so the newest design always wins.
 * A cached result (see measurement-cache.ts) is shown at once, even while the baseline runs.
 */
import { useApp } from './index.ts';
import type { AppState } from './types.ts';

export const QUIET_MS = 700;

/** What a measurement depends on: when none of these changed, there is nothing to do. */
const inputs = (s: AppState) => [s.model, s.openingModel, s.design.compression, s.design.recovery?.reconstruct, s.evalLimit, s.baseline.status, s.dataset.source, s.dataset.imported, s.dataset.mappingOverride];

export function startAutoMeasure(target = globalThis as unknown as Pick<Window, 'addEventListener' | 'removeEventListener'>): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pointerDown = false;
  const fire = () => {
    if (pointerDown) return; // released later: pointerup schedules again
    const s = useApp.getState();
    // While another file is being opened the old model's jobs are cancelled: nothing new starts for it.
    if (!s.model || s.openingModel || s.baseline.status === 'idle') return;
    // While the float baseline runs, only a cached result may be shown (no second job competes with it).
    void s.measureDesign({ cacheOnly: s.baseline.status === 'running' });
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(fire, QUIET_MS);
  };
  const down = () => {
    pointerDown = true;
    clearTimeout(timer);
  };
  const up = () => {
    if (!pointerDown) return;
    pointerDown = false;
    schedule();
  };
  target.addEventListener('pointerdown', down, true);
  target.addEventListener('pointerup', up, true);
  target.addEventListener('pointercancel', up, true);
  const unsubscribe = useApp.subscribe((state, previous) => {
    const now = inputs(state);
    const before = inputs(previous);
    if (!now.some((v, i) => v !== before[i])) return;
    // A result measured before shows at once (a reload, a restored point); a job waits for quiet.
    if (!pointerDown && state.model && !state.openingModel && state.baseline.status !== 'idle') void state.measureDesign({ cacheOnly: true });
    schedule();
  });
  return () => {
    clearTimeout(timer);
    unsubscribe();
    target.removeEventListener('pointerdown', down, true);
    target.removeEventListener('pointerup', up, true);
    target.removeEventListener('pointercancel', up, true);
  };
}

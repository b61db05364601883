/**
 * A flag in shared memory that the page raises while a person interacts with it (a pointer held
 * down and moved, key presses, a slider's input) and lowers QUIET_MS after the last such event.
 * Sweep workers read it between batches and give the page its core back meanwhile (issue 15:
 * every move within a frame while a sweep runs). Null when the page cannot share memory (not
 * cross-origin isolated): then the workers run on as before.
 */
export const INTERACTION_QUIET_MS = 300;

let flag: Int32Array | null | undefined;

export function interactionFlag(): Int32Array | null {
  if (flag !== undefined) return flag;
  if (typeof SharedArrayBuffer === 'undefined' || typeof window === 'undefined' || !window.crossOriginIsolated) return (flag = null);
  const shared = new Int32Array(new SharedArrayBuffer(4));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const raise = () => {
    Atomics.store(shared, 0, 1);
    clearTimeout(timer);
    timer = setTimeout(() => Atomics.store(shared, 0, 0), INTERACTION_QUIET_MS);
  };
  const options = { capture: true, passive: true };
  for (const type of ['pointerdown', 'keydown', 'input', 'wheel'] as const) window.addEventListener(type, raise, options);
  window.addEventListener('pointermove', (e) => e.buttons !== 0 && raise(), options);
  return (flag = shared);
}

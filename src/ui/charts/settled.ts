import { startTransition, useEffect, useRef, useState } from 'react';

/** How often, at most, the charts follow a design that keeps changing (a drag, a held arrow key). */
export const CHART_INTERVAL_MS = 100;
/** Charts take at most about 1 / CHART_SHARE of the page's time while the design keeps changing. */
export const CHART_SHARE = 4;
/** ... but follow at least this often. */
export const CHART_MAX_INTERVAL_MS = 1_000;

/**
 * `value` as the charts show it: taken up after the next painted frame, at most once per
 * `intervalMs` while it keeps changing, and always ending on the latest value. The slider, the table
 * and the cards paint first; a recharts chart re-renders in its own later task (its internal store
 * renders synchronously, so useDeferredValue alone would still run it before that frame).
 *
 * The update is a transition: React 19 renders pending default-priority updates together with the
 * next input's (sync) update, so a plain setState here put a whole chart render into whichever key
 * press or drag move came next. A transition renders on its own, in slices an input can interrupt.
 *
 * The interval grows with what the last update took (render to effects, wall clock: a busy page or
 * machine counts too), CHART_SHARE times that, so charts that are slow to draw, or a page that is
 * busy, leave most of the time to the steps themselves.
 */
export function useSettledValue<T>(value: T, intervalMs = CHART_INTERVAL_MS): T {
  const [shown, setShown] = useState(value);
  const latest = useRef(value);
  const pending = useRef<{ timer?: ReturnType<typeof setTimeout>; frame?: number } | null>(null);
  const lastShownAt = useRef(0);
  const updateStartedAt = useRef<number | null>(null);
  const lastCost = useRef(0);

  useEffect(() => {
    const started = updateStartedAt.current;
    if (started === null) return;
    updateStartedAt.current = null;
    // A task later: after the renders recharts' own store runs from these effects.
    const timer = setTimeout(() => (lastCost.current = performance.now() - started), 0);
    return () => clearTimeout(timer);
  }, [shown]);

  useEffect(() => {
    latest.current = value;
    if (pending.current) return; // the scheduled update takes the latest value
    const job: { timer?: ReturnType<typeof setTimeout>; frame?: number } = {};
    pending.current = job;
    const show = () => {
      pending.current = null;
      lastShownAt.current = performance.now();
      updateStartedAt.current = lastShownAt.current;
      startTransition(() => setShown(() => latest.current));
    };
    const afterNextPaint = () => {
      // A task posted from an animation frame callback runs after that frame is painted.
      job.frame = requestAnimationFrame(() => (job.timer = setTimeout(show, 0)));
    };
    const interval = Math.min(CHART_MAX_INTERVAL_MS, Math.max(intervalMs, CHART_SHARE * lastCost.current));
    job.timer = setTimeout(afterNextPaint, Math.max(0, lastShownAt.current + interval - performance.now()));
  }, [value, intervalMs]);

  useEffect(
    () => () => {
      const job = pending.current;
      if (!job) return;
      clearTimeout(job.timer);
      if (job.frame !== undefined) cancelAnimationFrame(job.frame);
      pending.current = null;
    },
    [],
  );
  return shown;
}

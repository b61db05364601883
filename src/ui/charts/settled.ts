import { startTransition, useEffect, useRef, useState } from 'react';

/** How often the charts follow a design that keeps changing (a drag, a held arrow key). */
export const CHART_INTERVAL_MS = 100;

/**
 * `value` as the charts show it: taken up after the next painted frame, at most once per
 * `intervalMs` while it keeps changing, and always ending on the latest value. The slider, the table
 * and the cards paint first; a recharts chart re-renders in its own later task (its internal store
 * renders synchronously, so useDeferredValue alone would still run it before that frame).
 *
 * The update is a transition: React 19 renders pending default-priority updates together with the
 * next input's (sync) update, so a plain setState here put a whole chart render into whichever key
 * press or drag move came next. A transition renders on its own, in slices an input can interrupt.
 */
export function useSettledValue<T>(value: T, intervalMs = CHART_INTERVAL_MS): T {
  const [shown, setShown] = useState(value);
  const latest = useRef(value);
  const pending = useRef<{ timer?: ReturnType<typeof setTimeout>; frame?: number } | null>(null);
  const lastShownAt = useRef(0);

  useEffect(() => {
    latest.current = value;
    if (pending.current) return; // the scheduled update takes the latest value
    const job: { timer?: ReturnType<typeof setTimeout>; frame?: number } = {};
    pending.current = job;
    const show = () => {
      pending.current = null;
      lastShownAt.current = performance.now();
      startTransition(() => setShown(() => latest.current));
    };
    const afterNextPaint = () => {
      // A task posted from an animation frame callback runs after that frame is painted.
      job.frame = requestAnimationFrame(() => (job.timer = setTimeout(show, 0)));
    };
    job.timer = setTimeout(afterNextPaint, Math.max(0, lastShownAt.current + intervalMs - performance.now()));
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

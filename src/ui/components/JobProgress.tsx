import type { ReactNode } from 'react';

interface JobProgressProps {
  value: number;
  max: number;
  /** Names the progress bar for screen readers. */
  label: string;
  progressTestId?: string;
  cancelTestId?: string;
  onCancel: () => void;
  /** What the job is doing, between the bar and the button. */
  children?: ReactNode;
}

/** A running job's progress bar, its status and its Cancel button (sweep, measurement, joint search). */
export function JobProgress({ value, max, label, progressTestId, cancelTestId, onCancel, children }: JobProgressProps) {
  return (
    <>
      <progress value={value} max={max || 1} aria-label={label} data-testid={progressTestId} />
      {children}
      <button type="button" onClick={onCancel} data-testid={cancelTestId}>
        Cancel
      </button>
    </>
  );
}

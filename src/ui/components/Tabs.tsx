import { useId, type ReactNode } from 'react';

export interface TabSpec {
  id: string;
  label: ReactNode;
  content: ReactNode;
}

/**
 * Tabs for the work that is not watched while dragging (data, recovery, sweeps, points). Only the
 * open tab is mounted, so a hidden panel never re-renders on a slider move.
 */
export function Tabs({ tabs, label, open, onOpen }: { tabs: TabSpec[]; label: string; open: string; onOpen: (id: string) => void }) {
  const setOpen = onOpen;
  const base = useId();
  const current = tabs.find((t) => t.id === open) ?? tabs[0];
  return (
    <div className="tabs">
      <div role="tablist" aria-label={label} className="tab-list">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`${base}-${t.id}-tab`}
            aria-selected={t.id === current?.id}
            aria-controls={`${base}-${t.id}-panel`}
            className={t.id === current?.id ? 'tab active' : 'tab'}
            data-testid={`tab-${t.id}`}
            onClick={() => setOpen(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      {current && (
        <div role="tabpanel" id={`${base}-${current.id}-panel`} aria-labelledby={`${base}-${current.id}-tab`} className="tab-panel">
          {current.content}
        </div>
      )}
    </div>
  );
}

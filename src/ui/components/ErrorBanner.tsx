import { useApp } from '../store/index.ts';

export function ErrorBanner() {
  const error = useApp((s) => s.loadError);
  const dismiss = useApp((s) => s.dismissError);
  if (!error) return null;
  return (
    <div className="error-banner" role="alert" data-testid="load-error">
      <span>{error}</span>
      <button type="button" onClick={dismiss} aria-label="Dismiss error">
        ×
      </button>
    </div>
  );
}

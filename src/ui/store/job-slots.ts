/**
 * Named job slots for the store: starting a job of a kind cancels the previous job of that kind,
 * and `current()` tells a finishing job whether its result is still wanted.
 */
export function jobSlots() {
  const controllers = new Map<string, AbortController>();
  return {
    /**
     * `current()`: this job's result is still wanted. `latest()`: no newer job of the kind has
     * started (a job the user cancelled is still the latest; a superseded one must leave the
     * state to its successor, even when its own cancellation arrives late).
     */
    start(kind: string): { signal: AbortSignal; current: () => boolean; latest: () => boolean } {
      controllers.get(kind)?.abort();
      const controller = new AbortController();
      controllers.set(kind, controller);
      return {
        signal: controller.signal,
        current: () => controllers.get(kind) === controller && !controller.signal.aborted,
        latest: () => controllers.get(kind) === controller,
      };
    },
    cancel(kind: string): void {
      controllers.get(kind)?.abort();
    },
    cancelAll(): void {
      for (const c of controllers.values()) c.abort();
    },
  };
}

/** An error's message for the UI. */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Named job slots: starting a job of a kind cancels the previous job of that kind, and
 * `current()` tells a finishing job whether its result is still wanted. One instance per session.
 */
export interface Job {
  signal: AbortSignal;
  /** This job's result is still wanted. */
  current: () => boolean;
  /**
   * No newer job of the kind has started (a job the user cancelled is still the latest; a
   * superseded one must leave the state to its successor, even when its own cancellation arrives late).
   */
  latest: () => boolean;
}

export class JobSlots {
  private readonly controllers = new Map<string, AbortController>();

  start(kind: string): Job {
    this.controllers.get(kind)?.abort();
    const controller = new AbortController();
    this.controllers.set(kind, controller);
    return {
      signal: controller.signal,
      current: () => this.controllers.get(kind) === controller && !controller.signal.aborted,
      latest: () => this.controllers.get(kind) === controller,
    };
  }

  cancel(kind: string): void {
    this.controllers.get(kind)?.abort();
  }

  cancelAll(): void {
    for (const c of this.controllers.values()) c.abort();
  }
}

/** An error's message for the UI. */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

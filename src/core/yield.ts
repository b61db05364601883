/**
 * Lets the event loop run (a macrotask turn): a worker's long loop of awaited-but-synchronous
 * onnxruntime calls otherwise never handles an incoming cancel message until the loop ends. A
 * background worker may also install a gate here (setYieldGate) that these turns wait on, to give
 * the CPU to the page while a person interacts with it.
 */
type YieldGate = () => Promise<void>;
let gate: YieldGate | undefined;

export const nextMacrotask = async (): Promise<void> => {
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  if (gate) await gate();
};

/** Installs (or, with undefined, removes) the gate every nextMacrotask of this thread waits on. */
export function setYieldGate(next: YieldGate | undefined): void {
  gate = next;
}

export interface GiveWayOptions {
  /** How often the flag is read while it is raised. */
  pollMs?: number;
  /** Longest wait in one turn: a person who drags for a long time still lets the work go on, a batch at a time. */
  maxWaitMs?: number;
}

/**
 * A gate that waits while `flag[0]` is non-zero (another thread raised it: the page while a person
 * drags or presses keys), at most `maxWaitMs` per turn. Waits with timers, so messages (a cancel)
 * are still handled meanwhile.
 */
export function giveWayWhile(flag: Int32Array, { pollMs = 16, maxWaitMs = 1_000 }: GiveWayOptions = {}): YieldGate {
  return async () => {
    const started = performance.now();
    while (Atomics.load(flag, 0) !== 0 && performance.now() - started < maxWaitMs) {
      await new Promise<void>((resolve) => setTimeout(resolve, pollMs));
    }
  };
}

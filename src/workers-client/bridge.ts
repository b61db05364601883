/**
 * The one way the app and the CLI drive a worker (a browser Web Worker or a Node worker thread,
 * both through comlink). A bridge owns at most one worker, started on demand, and gives each job
 * an id, its progress and its cancel:
 *
 *   const evaluator = new WorkerBridge<EvaluatorApi>({
 *     name: 'evaluator',
 *     start: () => webWorker(new Worker(new URL('../../workers/evaluator.worker.ts', import.meta.url), { type: 'module' })),
 *   });
 *   const result = await evaluator.job('eval', signal, (remote, jobId) => remote.evaluate({ jobId, ... }, Comlink.proxy(onProgress)));
 *
 * Two rules keep a worker from holding memory or the UI hostage:
 * - idle termination: a worker with nothing to do for `idleMs` is terminated; the next call starts
 *   a new one (and `prepare` reloads whatever state it needs);
 * - unanswered-cancel termination: when a job's signal aborts, the worker's `cancel(jobId)` is
 *   called; a job still running `cancelGraceMs` later (a stuck wasm call never reads its signal)
 *   gets its worker terminated and rejects as cancelled; the other calls on that worker run again
 *   on a new one (nobody cancelled them).
 * Errors come back as EdgefoldErrors (code and field kept, see ErrorRecord in core/errors.ts).
 */
import * as Comlink from 'comlink';
import { EdgefoldError, fromErrorRecord } from '../core/errors.ts';

/** A started worker: where comlink talks to it, and how to stop it. */
export interface WorkerHandle {
  endpoint: Comlink.Endpoint;
  /** Node's Worker.terminate resolves when the thread is gone. */
  terminate(): void | Promise<unknown>;
  /** Calls `report` when the worker dies on its own (a crash, a thread exit); the bridge then fails its jobs. */
  onFailure?(report: (error: Error) => void): void;
}

/** Worker APIs whose jobs can be cancelled by id (JobRegistry on the worker's side). */
export interface CancellableApi {
  cancel(jobId: string): unknown;
}

export interface BridgeOptions<Api> {
  /** Names job ids and messages. */
  name: string;
  start(): WorkerHandle;
  /** Terminate after this long without a call (ms). Infinity keeps the worker (it holds state nobody can reload). */
  idleMs?: number;
  /** How long a cancelled job may take to stop before its worker is terminated (ms); 0 terminates at once. */
  cancelGraceMs?: number;
  /** Runs on every new worker before its first call: reloads the state a terminated worker lost. */
  prepare?(remote: Comlink.Remote<Api>): Promise<void>;
}

export const DEFAULT_IDLE_MS = 60_000;
export const DEFAULT_CANCEL_GRACE_MS = 10_000;

interface Running {
  worker: LiveWorker;
  fail(error: Error): void;
  /** Runs the call again on a new worker (its worker was terminated for another job's sake). */
  rerun(): void;
}

/** How often a call may be re-run because its worker was terminated for another job's unanswered cancel. */
const RERUNS = 2;

interface LiveWorker {
  handle: WorkerHandle;
  remote: Comlink.Remote<unknown>;
  ready: Promise<void>;
  dead: boolean;
}

let jobCounter = 0;

/** In Node a pending timer would keep a finished CLI process alive; the browser's timers are numbers. */
function unref(timer: ReturnType<typeof setTimeout>): ReturnType<typeof setTimeout> {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

/**
 * A browser Web Worker as a WorkerHandle. Write `new Worker(new URL('...', import.meta.url), { type: 'module' })`
 * at the call site: Vite bundles a worker only when it sees that pattern.
 */
export function webWorker(worker: Worker): WorkerHandle {
  return { endpoint: worker, terminate: () => worker.terminate() };
}

export class WorkerBridge<Api> {
  private live?: LiveWorker;
  private readonly running = new Set<Running>();
  private idleTimer?: ReturnType<typeof setTimeout>;
  private readonly idleMs: number;
  private readonly cancelGraceMs: number;
  /** Workers started so far (tests and diagnostics). */
  started = 0;

  constructor(private readonly options: BridgeOptions<Api>) {
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.cancelGraceMs = options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
  }

  /** Whether a worker is running now. */
  get alive(): boolean {
    return this.live !== undefined;
  }

  /** A call that is not a job (no id, no cancel): a lookup, a release, a load. */
  call<T>(run: (remote: Comlink.Remote<Api>) => Promise<T>): Promise<T> {
    return this.track((remote) => run(remote));
  }

  /**
   * Runs one job: a fresh id, `signal` forwarded to the worker's `cancel(jobId)` (with the
   * unanswered-cancel rule), errors as EdgefoldErrors. A signal already aborted rejects at once.
   */
  job<T>(kind: string, signal: AbortSignal | undefined, run: (remote: Comlink.Remote<Api>, jobId: string) => Promise<T>): Promise<T> {
    const jobId = `${this.options.name}-${kind}-${++jobCounter}`;
    if (signal?.aborted) return Promise.reject(new EdgefoldError('cancelled', 'Cancelled.'));
    let cleanup = () => {};
    return this.track((remote, running) => {
      cleanup(); // a re-run on a new worker drops the listener of the previous run
      if (!signal) return run(remote, jobId);
      if (signal.aborted) throw new EdgefoldError('cancelled', 'Cancelled.');
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        if (this.cancelGraceMs > 0) void (remote as unknown as Comlink.Remote<CancellableApi>).cancel(jobId).catch(() => {});
        graceTimer = unref(
          setTimeout(() => {
            if (!this.running.delete(running)) return;
            running.fail(new EdgefoldError('cancelled', 'Cancelled.'));
            this.kill(running.worker, 'rerun');
          }, this.cancelGraceMs),
        );
      };
      signal.addEventListener('abort', onAbort, { once: true });
      cleanup = () => {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(graceTimer);
      };
      return run(remote, jobId);
    }).finally(() => cleanup());
  }

  /** Terminates the worker now (its running jobs reject); a later call starts a new one. */
  async terminate(): Promise<void> {
    clearTimeout(this.idleTimer);
    if (this.live) await this.kill(this.live, new EdgefoldError('cancelled', `The ${this.options.name} worker was stopped.`));
  }

  /**
   * Runs `run` on the live worker (started if needed). When that worker is terminated for another
   * job's unanswered cancel, the call runs again on a new worker (at most RERUNS times): nobody
   * cancelled it, and its arguments are rebuilt by `run` each time.
   */
  private track<T>(run: (remote: Comlink.Remote<Api>, running: Running) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let current: Running | undefined;
      const attempt = (reruns: number) => {
        clearTimeout(this.idleTimer);
        const worker = this.worker();
        const running: Running = {
          worker,
          fail: reject,
          rerun: () => (reruns > 0 ? attempt(reruns - 1) : reject(new EdgefoldError('internal', `The ${this.options.name} worker was restarted ${RERUNS + 1} times while this ran; run it again.`))),
        };
        current = running;
        this.running.add(running);
        worker.ready
          .then(() => run(worker.remote as Comlink.Remote<Api>, running))
          .then(
            (value) => current === running && resolve(value),
            (error: unknown) => current === running && reject(fromErrorRecord(error)),
          )
          .finally(() => {
            if (this.running.delete(running)) this.scheduleIdle();
          });
      };
      attempt(RERUNS);
    });
  }

  private worker(): LiveWorker {
    if (this.live) return this.live;
    const handle = this.options.start();
    this.started++;
    const remote = Comlink.wrap<Api>(handle.endpoint);
    const worker: LiveWorker = { handle, remote, ready: Promise.resolve(), dead: false };
    worker.ready = this.options.prepare ? this.options.prepare(remote) : Promise.resolve();
    handle.onFailure?.((error) => this.kill(worker, fromErrorRecord(error)));
    // A worker whose state cannot be loaded is dropped: the next call tries a new one.
    worker.ready.catch((error: unknown) => this.kill(worker, fromErrorRecord(error)));
    this.live = worker;
    return worker;
  }

  private scheduleIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.running.size || !this.live || !Number.isFinite(this.idleMs)) return;
    const idle = this.live;
    this.idleTimer = unref(
      setTimeout(() => {
        if (this.live === idle && !this.running.size) this.kill(idle, new EdgefoldError('internal', 'idle'));
      }, this.idleMs),
    );
  }

  /** Terminates `worker`; every call still running on it fails with `error`, or runs again on a new worker ('rerun'). */
  private kill(worker: LiveWorker, outcome: Error | 'rerun'): void | Promise<unknown> {
    if (worker.dead) return;
    worker.dead = true;
    if (this.live === worker) this.live = undefined;
    const stranded = [...this.running].filter((r) => r.worker === worker);
    for (const r of stranded) this.running.delete(r);
    const terminated = worker.handle.terminate();
    for (const r of stranded) {
      if (outcome === 'rerun') r.rerun();
      else r.fail(outcome);
    }
    return terminated;
  }
}

/**
 * Errors the user can act on. `code` lets the CLI pick an exit status and the UI a message;
 * `field` names the offending input (a config path, a layer name, a file).
 */
export type ErrorCode = 'bad-input' | 'unsupported' | 'cancelled' | 'internal';

export class EdgefoldError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'EdgefoldError';
    this.code = code;
    this.field = field;
  }
}

export const badInput = (message: string, field?: string) => new EdgefoldError('bad-input', message, field);

export function isAbortError(error: unknown): boolean {
  return (
    (error instanceof EdgefoldError && error.code === 'cancelled') ||
    (error instanceof Error && error.name === 'AbortError')
  );
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new EdgefoldError('cancelled', 'Cancelled.');
}

/**
 * Errors cross a worker boundary (comlink) as plain Errors; the code travels as a message prefix.
 * `toTransferable` runs in the worker, `fromTransferred` on the caller's side.
 */
const TRANSFER_PREFIX = /^(bad-input|unsupported|cancelled|internal): (.*)$/s;

export function toTransferable(error: unknown): unknown {
  return error instanceof EdgefoldError ? new Error(`${error.code}: ${error.message}`) : error;
}

export function fromTransferred(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const match = TRANSFER_PREFIX.exec(message);
  return match ? new EdgefoldError(match[1] as ErrorCode, match[2]) : new Error(message);
}

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
 * The one shape an error has when it crosses a boundary (comlink, worker_threads, the job queue):
 * plain data, so structured clone keeps every field. Workers throw `toErrorRecord(error)`; callers
 * turn it back with `fromErrorRecord` and branch on `code`, never on the message.
 */
export interface ErrorRecord {
  code: ErrorCode;
  message: string;
  field?: string;
}

const CODES: readonly ErrorCode[] = ['bad-input', 'unsupported', 'cancelled', 'internal'];

export function isErrorRecord(value: unknown): value is ErrorRecord {
  const v = value as Partial<ErrorRecord> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.message === 'string' &&
    CODES.includes(v.code as ErrorCode) &&
    (v.field === undefined || typeof v.field === 'string')
  );
}

/** Any thrown value as an ErrorRecord: an EdgefoldError keeps code and field, an abort is 'cancelled', anything else 'internal'. */
export function toErrorRecord(error: unknown): ErrorRecord {
  if (error instanceof EdgefoldError) return { code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) };
  if (isErrorRecord(error)) return { code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) };
  if (isAbortError(error)) return { code: 'cancelled', message: 'Cancelled.' };
  const message = (error as { message?: unknown } | null)?.message;
  return { code: 'internal', message: typeof message === 'string' ? message : String(error) };
}

/** The caller's side: an ErrorRecord (or anything else a worker threw) as an EdgefoldError. */
export function fromErrorRecord(value: unknown): EdgefoldError {
  if (value instanceof EdgefoldError) return value;
  const record = toErrorRecord(value);
  return new EdgefoldError(record.code, record.message, record.field);
}

import { describe, expect, it } from 'vitest';
import { EdgefoldError, fromErrorRecord, isErrorRecord, toErrorRecord } from './errors.ts';

/** What a worker boundary does to a thrown value: structured clone (comlink and worker_threads both use it). */
const acrossBoundary = (value: unknown) => fromErrorRecord(structuredClone(toErrorRecord(value)));

describe('ErrorRecord', () => {
  it('keeps code, message and field across a structured clone', () => {
    const back = acrossBoundary(new EdgefoldError('bad-input', 'clock must be positive.', 'hardware.clockMHz'));
    expect(back).toBeInstanceOf(EdgefoldError);
    expect(back.code).toBe('bad-input');
    expect(back.field).toBe('hardware.clockMHz');
    expect(back.message).toBe('clock must be positive.');
    // A raw EdgefoldError loses its code in a structured clone: the record is what makes it survive.
    expect((structuredClone(new EdgefoldError('bad-input', 'x', 'f')) as Partial<EdgefoldError>).code).toBeUndefined();
  });

  it('omits an absent field rather than sending undefined', () => {
    expect(toErrorRecord(new EdgefoldError('unsupported', 'no such op.'))).toEqual({ code: 'unsupported', message: 'no such op.' });
  });

  it('maps aborts to cancelled and anything else to internal, keeping the message', () => {
    expect(acrossBoundary(new DOMException('The operation was aborted.', 'AbortError')).code).toBe('cancelled');
    const plain = acrossBoundary(new TypeError('x is undefined'));
    expect(plain.code).toBe('internal');
    expect(plain.message).toBe('x is undefined');
    expect(acrossBoundary('a string').message).toBe('a string');
  });

  it('never reads a code from the message', () => {
    const back = acrossBoundary(new Error('cancelled: looks like a prefix'));
    expect(back.code).toBe('internal');
    expect(back.message).toBe('cancelled: looks like a prefix');
  });

  it('refuses records with an unknown code or a malformed field', () => {
    expect(isErrorRecord({ code: 'bad-input', message: 'm', field: 'f' })).toBe(true);
    expect(isErrorRecord({ code: 'oops', message: 'm' })).toBe(false);
    expect(isErrorRecord({ code: 'bad-input', message: 'm', field: 3 })).toBe(false);
    expect(isErrorRecord(null)).toBe(false);
    expect(fromErrorRecord({ code: 'oops', message: 'm' })).toMatchObject({ code: 'internal', message: 'm' });
  });
});

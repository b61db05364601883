/** Moved to the session layer. */
export * from '../../app/data-fit.ts';

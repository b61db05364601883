// Stryker's mutation score, shared by tools/mutation-summary.mjs and tools/mutation-run.mjs:
// (killed + timed out) / (killed + timed out + survived + no coverage); compile errors and ignored
// mutants are left out.

/** An empty tally of mutant statuses. */
export const emptyTally = () => ({ killed: 0, survived: 0, noCoverage: 0, timeout: 0, other: 0 });

/** Count one mutant's status into a tally. */
export function countStatus(tally, status) {
  if (status === 'Killed') tally.killed++;
  else if (status === 'Survived') tally.survived++;
  else if (status === 'NoCoverage') tally.noCoverage++;
  else if (status === 'Timeout') tally.timeout++;
  else tally.other++;
  return tally;
}

/** Valid mutants and the score in percent (null when none is valid). */
export function scoreOf(tally) {
  const detected = tally.killed + tally.timeout;
  const valid = detected + tally.survived + tally.noCoverage;
  return { detected, valid, score: valid ? (100 * detected) / valid : null };
}

/** The measurement key helpers are the session's (src/app/measurement.ts); keys are memoized per session (appSession.keys). */
export { measurementDataKey, measurementMetrics, measurementSubject, recoveryLabel } from '../../app/measurement.ts';

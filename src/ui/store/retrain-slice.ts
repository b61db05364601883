/**
 * The retrain slice: a thin binding over the session's retrain (src/app/session.ts, recovery as
 * part of the design, issue 13).
 */
import { idleRetrain, type Session } from '../../app/session.ts';
import type { AppState, RetrainSliceActions, RetrainState } from './types.ts';

export { recoveryLabel } from '../../app/measurement.ts';
export { stepRecords } from '../../app/recovery.ts';
export { idleRetrain } from '../../app/session.ts';
export type { RetrainState } from '../../app/state.ts';
export type { RetrainSliceActions } from './types.ts';

export function createRetrainSlice(session: Session<AppState>): { retrain: RetrainState } & RetrainSliceActions {
  return {
    retrain: idleRetrain(),
    setRecovery: (change) => session.setRecovery(change),
    retrainDesign: () => session.retrainDesign(),
    cancelRetrain: () => session.cancelRetrain(),
  };
}

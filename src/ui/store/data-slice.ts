/**
 * The data slice of the app store: a thin binding over the session's data side
 * (src/app/data-session.ts: dataset import, head re-fit, the Recovery panel). The state lives
 * here for the views to subscribe to; every action is the data session's.
 */
import { initialDataState, type DataSession } from '../../app/data-session.ts';
import type { AppState } from './types.ts';

export { modelOutputs } from '../../app/dataset-buffers.ts';
export { DEFAULT_TRAIN_SETTINGS } from '../../app/data-session.ts';
export type { ImportedData, DataJob, EvaluationSource, CurvePoint, TrainSettings, RefitSummary, RefitState, RecoverySettings, RecoveryState, DataSliceState, SavedDataset } from '../../app/state.ts';
export type { DataSliceActions, DataSlice } from './types.ts';
import type { DataSlice } from './types.ts';

export function createDataSlice(data: DataSession<AppState>): DataSlice {
  return {
    ...initialDataState(),
    importData: (input) => data.importData(input),
    restoreData: (saved) => data.restoreData(saved),
    prepareData: (spec, split) => data.prepareData(spec, split),
    cancelDataJob: () => data.cancelDataJob(),
    dismissDataError: () => data.dismissDataError(),
    removeDataset: () => data.removeDataset(),
    setLabelMapping: (datasetClass, output) => data.setLabelMapping(datasetClass, output),
    resetLabelMapping: () => data.resetLabelMapping(),
    setEvaluationSource: (source) => data.setEvaluationSource(source),
    setTrainSettings: (settings) => data.setTrainSettings(settings),
    runHeadRefit: () => data.runHeadRefit(),
    cancelHeadRefit: () => data.cancelHeadRefit(),
    setRecoverySettings: (settings) => data.setRecoverySettings(settings),
    runRecovery: () => data.runRecovery(),
    cancelRecovery: () => data.cancelRecovery(),
  };
}

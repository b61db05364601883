import { get, set } from 'idb-keyval';
import { SESSION_KEY as KEY } from './persist-key.ts';
import { appSession, DEFAULT_JOB_FORMS, useApp } from './index.ts';
import type { SavedDataset } from './data-slice.ts';
import type { AppState } from './types.ts';


/** What survives a reload: the model itself, the design, design points and settings. */
interface SavedSession {
  version: 1;
  fileName: string;
  modelBytes: Uint8Array;
  design: AppState['design'];
  points: AppState['points'];
  evalLimit: number;
  customDevices: AppState['customDevices'];
  sweep?: { result: NonNullable<AppState['sweep']['result']>; modelSha256: string; dataKey: string | null } | null;
  /** The imported dataset (its files, stored by IndexedDB) and its settings; re-imported on restore. */
  dataset?: SavedDataset | null;
  /** Everything else the user set (issue 15): sweep form, auto-fold result and chart, selected rows. */
  sweepOptions?: AppState['sweepOptions'];
  autoFold?: AppState['autoFold']['result'] | null;
  selectedLayers?: string[];
  tab?: string;
  /** The auto-allocate, auto-fold and joint-search targets, and the allocation the status line describes. */
  jobForms?: Partial<AppState['jobForms']>;
  allocation?: AppState['allocation'];
  compare?: AppState['compare'];
  pointsOrder?: AppState['pointsOrder'];
  /** The head re-fit's settings (Data tab). */
  trainSettings?: AppState['headRefit']['settings'];
}


function restoredForms(saved: Partial<AppState['jobForms']>): AppState['jobForms'] {
  return {
    allocate: { ...DEFAULT_JOB_FORMS.allocate, ...saved.allocate },
    autoFold: { ...DEFAULT_JOB_FORMS.autoFold, ...saved.autoFold },
    frontier: { ...DEFAULT_JOB_FORMS.frontier, ...saved.frontier },
  };
}

/** Restores the last session from IndexedDB; false when there is none (or it cannot be read). */
export async function restoreSession(): Promise<boolean> {
  let saved: SavedSession | undefined;
  try {
    saved = await get<SavedSession>(KEY);
  } catch {
    return false;
  }
  if (!saved || saved.version !== 1) return false;
  // The image count first: the opened model's baseline is measured (or read from the cache) with it.
  useApp.setState({ evalLimit: saved.evalLimit });
  const opened = await useApp.getState().openModelBytes(saved.modelBytes, saved.fileName);
  if (!opened) return false;
  const sweep = saved.sweep && saved.sweep.modelSha256 === useApp.getState().model?.sha256 ? saved.sweep : null;
  useApp.setState({
    design: saved.design,
    points: saved.points,
    evalLimit: saved.evalLimit,
    customDevices: saved.customDevices,
    ...(saved.tab ? { tab: saved.tab } : {}),
    ...(saved.sweepOptions ? { sweepOptions: saved.sweepOptions } : {}),
    ...(saved.autoFold ? { autoFold: { status: 'done', progress: { done: 1, total: 1 }, result: saved.autoFold } } : {}),
    ...(saved.selectedLayers ? { selectedLayers: saved.selectedLayers.filter((n) => useApp.getState().model?.loaded.layers.some((l) => l.name === n)) } : {}),
    // Each form over its defaults: a session saved before a form existed (or with fewer fields) still restores.
    ...(saved.jobForms ? { jobForms: restoredForms(saved.jobForms) } : {}),
    ...(sweep && saved.allocation ? { allocation: saved.allocation } : {}),
    ...(saved.compare ? { compare: saved.compare } : {}),
    ...(saved.pointsOrder ? { pointsOrder: saved.pointsOrder } : {}),
    ...(saved.trainSettings ? { headRefit: { ...useApp.getState().headRefit, settings: { ...useApp.getState().headRefit.settings, ...saved.trainSettings } } } : {}),
    ...(sweep ? { sweep: { status: 'done', progress: null, result: sweep.result, modelSha256: sweep.modelSha256, dataKey: sweep.dataKey ?? 'bundled' } } : {}),
  });
  // Re-imported in the background with the usual progress; a failure shows in the data panel.
  // Until it is back, saves keep the saved dataset (a reload meanwhile must not lose it).
  if (saved.dataset) {
    appSession.buffers.restoring = saved.dataset;
    void useApp
      .getState()
      .restoreData(saved.dataset)
      .finally(() => (appSession.buffers.restoring = null));
  }
  return true;
}

/** The parts of the state a save holds: a change to any of them (by identity) saves the session. */
const SAVED_PARTS: ((s: AppState) => unknown)[] = [
  (s) => s.model,
  (s) => s.design,
  (s) => s.points,
  (s) => s.evalLimit,
  (s) => s.customDevices,
  (s) => s.sweep.result,
  (s) => s.sweepOptions,
  (s) => s.autoFold,
  (s) => s.selectedLayers,
  (s) => s.tab,
  (s) => s.jobForms,
  (s) => s.allocation,
  (s) => s.compare,
  (s) => s.pointsOrder,
  (s) => s.headRefit.settings,
  (s) => s.dataset.imported,
  (s) => s.dataset.source,
  (s) => s.dataset.mappingOverride,
];

/** Saves the session whenever it changes (debounced); returns the unsubscribe function. */
export function startPersisting(): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = async () => {
    const s = useApp.getState();
    if (!s.model) return;
    const session: SavedSession = {
      version: 1,
      fileName: s.model.fileName,
      modelBytes: s.model.bytes,
      design: s.design,
      points: s.points,
      evalLimit: s.evalLimit,
      customDevices: s.customDevices,
      sweep: s.sweep.result && s.sweep.modelSha256 ? { result: s.sweep.result, modelSha256: s.sweep.modelSha256, dataKey: s.sweep.dataKey } : null,
      dataset: appSession.buffers.savedDataset(s) ?? appSession.buffers.restoring,
      sweepOptions: s.sweepOptions,
      autoFold: s.autoFold.status === 'done' ? (s.autoFold.result ?? null) : null,
      selectedLayers: s.selectedLayers,
      tab: s.tab,
      jobForms: s.jobForms,
      allocation: s.allocation,
      compare: s.compare,
      pointsOrder: s.pointsOrder,
      trainSettings: s.headRefit.settings,
    };
    try {
      await set(KEY, session);
    } catch {
      // Private windows may refuse IndexedDB: the app works on, unsaved.
    }
  };
  const unsubscribe = useApp.subscribe((state, previous) => {
    if (SAVED_PARTS.every((part) => part(state) === part(previous))) return;
    clearTimeout(timer);
    timer = setTimeout(() => void save(), 300);
  });
  return () => {
    clearTimeout(timer);
    unsubscribe();
  };
}

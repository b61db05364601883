import { get, set } from 'idb-keyval';
import { SESSION_KEY as KEY } from './persist-key.ts';
import { useApp } from './index.ts';
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
  const opened = await useApp.getState().openModelBytes(saved.modelBytes, saved.fileName);
  if (!opened) return false;
  useApp.setState({ design: saved.design, points: saved.points, evalLimit: saved.evalLimit, customDevices: saved.customDevices });
  return true;
}

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
    };
    try {
      await set(KEY, session);
    } catch {
      // Private windows may refuse IndexedDB: the app works on, unsaved.
    }
  };
  const unsubscribe = useApp.subscribe((state, previous) => {
    if (state.model === previous.model && state.design === previous.design && state.points === previous.points && state.evalLimit === previous.evalLimit && state.customDevices === previous.customDevices) return;
    clearTimeout(timer);
    timer = setTimeout(() => void save(), 300);
  });
  return () => {
    clearTimeout(timer);
    unsubscribe();
  };
}

import { del } from 'idb-keyval';

/** IndexedDB key of the saved session (bump the suffix when its shape changes). */
export const SESSION_KEY = 'edgefold-session-v1';

export const clearSavedSession = (): Promise<void> => del(SESSION_KEY).catch(() => undefined);

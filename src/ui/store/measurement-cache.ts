/**
 * Measured accuracies kept in IndexedDB by their measurement key (src/core/design/measurement-key.ts),
 * so a reload, a restored design point or a design the user returns to shows its accuracy at once
 * instead of measuring again. Bounded: past MAX_ENTRIES the least recently stored entries go.
 * Private windows may refuse IndexedDB: then nothing is cached and everything is measured.
 */
import { clear, createStore, delMany, entries, get, set, type UseStore } from 'idb-keyval';

/** A few hundred results of a few kB each (the confusion matrix is the largest part). */
export const MAX_ENTRIES = 400;

interface Entry<T> {
  savedAt: number;
  value: T;
}

let store: UseStore | null | undefined;
function db(): UseStore | null {
  if (store === undefined) {
    try {
      store = typeof indexedDB === 'undefined' ? null : createStore('edgefold-measurements', 'results');
    } catch {
      store = null;
    }
  }
  return store;
}

/** The cached value for a key, or undefined (also when IndexedDB is unavailable). */
export async function cachedMeasurement<T>(key: string): Promise<T | undefined> {
  const s = db();
  if (!s) return undefined;
  try {
    return (await get<Entry<T>>(key, s))?.value;
  } catch {
    return undefined;
  }
}

let writes = 0;

export async function cacheMeasurement<T>(key: string, value: T): Promise<void> {
  const s = db();
  if (!s) return;
  try {
    await set(key, { savedAt: Date.now(), value } satisfies Entry<T>, s);
    // Trim now and then, not on every write: reading every entry costs more than a write.
    if (++writes % 20 === 1) await trim(s);
  } catch {
    // Quota or a refused database: the result stays in memory only.
  }
}

async function trim(s: UseStore): Promise<void> {
  const all = await entries<string, Entry<unknown>>(s);
  if (all.length <= MAX_ENTRIES) return;
  const oldest = all.sort((a, b) => a[1].savedAt - b[1].savedAt).slice(0, all.length - MAX_ENTRIES);
  await delMany(
    oldest.map(([k]) => k),
    s,
  );
}

/** Forgets every cached measurement (a new session). */
export async function clearMeasurementCache(): Promise<void> {
  const s = db();
  if (s) await clear(s).catch(() => undefined);
}

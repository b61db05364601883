/**
 * IndexedDB behind the session's stores (src/app/stores.ts): measured accuracies and recovered
 * model bytes by measurement key, so a reload, a restored design point or a design the user
 * returns to shows its accuracy at once, and exports the recovered model without recovering again.
 * Private windows may refuse IndexedDB: then nothing is kept and everything is measured.
 */
import { clear, createStore, delMany, entries, get, set, type UseStore } from 'idb-keyval';
import type { KeyValueStore, Stored } from '../../app/stores.ts';

/** A KeyValueStore in its own IndexedDB database (opened on first use; never throws). */
export function indexedDbStore<T>(database: string, objectStore: string): KeyValueStore<T> {
  let store: UseStore | null | undefined;
  const db = (): UseStore | null => {
    if (store === undefined) {
      try {
        store = typeof indexedDB === 'undefined' ? null : createStore(database, objectStore);
      } catch {
        store = null;
      }
    }
    return store;
  };
  return {
    async get(key) {
      const s = db();
      if (!s) return undefined;
      return (await get<Stored<T>>(key, s).catch(() => undefined))?.value;
    },
    async set(key, value) {
      const s = db();
      // Quota or a refused database: the value stays in memory only.
      if (s) await set(key, { savedAt: Date.now(), value } satisfies Stored<T>, s).catch(() => undefined);
    },
    async keys() {
      const s = db();
      if (!s) return [];
      const all = await entries<string, Stored<T>>(s).catch(() => []);
      return all.map(([key, e]) => ({ key, savedAt: e.savedAt }));
    },
    async delete(keys) {
      const s = db();
      if (s) await delMany(keys, s).catch(() => undefined);
    },
    async clear() {
      const s = db();
      if (s) await clear(s).catch(() => undefined);
    },
  };
}

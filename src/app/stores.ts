/**
 * Where a session keeps results across reloads: measured accuracies and recovered model bytes,
 * both by their measurement key. The session takes a `KeyValueStore` per kind; the browser passes
 * IndexedDB (src/ui/store/measurement-cache.ts), tests and the CLI pass `MemoryKeyValue`.
 */

/** A persistent map. Implementations never throw: a refused store behaves as an empty one. */
export interface KeyValueStore<T> {
  get(key: string): Promise<T | undefined>;
  set(key: string, value: T): Promise<void>;
  /** Every key with the time its value was stored (for trimming). */
  keys(): Promise<{ key: string; savedAt: number }[]>;
  delete(keys: string[]): Promise<void>;
  clear(): Promise<void>;
}

export interface Stored<T> {
  savedAt: number;
  value: T;
}

/** A KeyValueStore in memory (tests, the CLI; or two sessions sharing one to stand for a reload). */
export class MemoryKeyValue<T> implements KeyValueStore<T> {
  readonly entries = new Map<string, Stored<T>>();
  private clock = 0;
  async get(key: string): Promise<T | undefined> {
    return this.entries.get(key)?.value;
  }
  async set(key: string, value: T): Promise<void> {
    this.entries.set(key, { savedAt: ++this.clock, value });
  }
  async keys(): Promise<{ key: string; savedAt: number }[]> {
    return [...this.entries].map(([key, e]) => ({ key, savedAt: e.savedAt }));
  }
  async delete(keys: string[]): Promise<void> {
    for (const k of keys) this.entries.delete(k);
  }
  async clear(): Promise<void> {
    this.entries.clear();
  }
}

/**
 * A bounded store: past `maxEntries` the least recently stored entries go. Trimmed now and then,
 * not on every write (listing every entry costs more than a write).
 */
export class BoundedStore<T> {
  private writes = 0;
  constructor(
    readonly store: KeyValueStore<T>,
    private readonly maxEntries: number,
    private readonly trimEvery = 20,
  ) {}

  get(key: string): Promise<T | undefined> {
    return this.store.get(key);
  }

  async set(key: string, value: T): Promise<void> {
    await this.store.set(key, value);
    if (++this.writes % this.trimEvery === 1) await this.trim();
  }

  async trim(): Promise<void> {
    const all = await this.store.keys();
    if (all.length <= this.maxEntries) return;
    const oldest = all.sort((a, b) => a.savedAt - b.savedAt).slice(0, all.length - this.maxEntries);
    await this.store.delete(oldest.map((e) => e.key));
  }

  clear(): Promise<void> {
    return this.store.clear();
  }
}

/** A few hundred results of a few kB each (the confusion matrix is the largest part). */
export const MAX_MEASUREMENTS = 400;
/** Recovered models are the model's size (0.3 MB for the bundled one, tens of MB for big ones): a few. */
export const MAX_RECOVERED_MODELS = 8;

export interface RecoveredModel {
  bytes: Uint8Array;
  sha256: string;
  fileName?: string;
}

/**
 * The recovered (reconstructed, retrained or Recovery-panel) model bytes by the key of their
 * measurement: the last few in memory for synchronous reads, all of them in the persistent store
 * so an export after a reload gets the recovered model without running recovery again.
 */
export class RecoveredModels {
  private readonly recent = new Map<string, RecoveredModel>();
  private readonly persistent: BoundedStore<RecoveredModel>;

  constructor(store: KeyValueStore<RecoveredModel>, maxEntries = MAX_RECOVERED_MODELS) {
    // Trim on every write: each entry may be large.
    this.persistent = new BoundedStore(store, maxEntries, 1);
  }

  keep(key: string, model: RecoveredModel): Promise<void> {
    if (this.recent.size >= 6) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(key, model);
    return this.persistent.set(key, model);
  }

  /** In memory only (kept in this page's life). */
  peek(key: string | null | undefined): RecoveredModel | null {
    return (key && this.recent.get(key)) || null;
  }

  /** From memory, else from the persistent store (after a reload); `sha256`, when given, must match. */
  async get(key: string | null | undefined, sha256?: string): Promise<RecoveredModel | null> {
    if (!key) return null;
    const found = this.recent.get(key) ?? (await this.persistent.get(key));
    if (!found || (sha256 && found.sha256 !== sha256)) return null;
    this.recent.set(key, found);
    return found;
  }

  clear(): Promise<void> {
    this.recent.clear();
    return this.persistent.clear();
  }
}

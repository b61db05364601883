import { EdgefoldError } from '../errors.ts';
import { loadDataset, validateManifest, type Dataset } from './dataset.ts';

/** Bytes of a URL (fetch exists in browsers, workers and Node 20); a failed request is a bad-input error. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new EdgefoldError('bad-input', `Could not load ${url} (HTTP ${response.status}).`, url);
  return new Uint8Array(await response.arrayBuffer());
}

const loaded = new Map<string, Promise<Dataset>>();

/** A dataset split from a manifest URL, loaded once per URL and split (a failed load is not cached). */
export function datasetFromUrl(manifestUrl: string, split: string): Promise<Dataset> {
  const key = `${manifestUrl}#${split}`;
  let pending = loaded.get(key);
  if (!pending) {
    pending = (async () => {
      const manifest = validateManifest(JSON.parse(new TextDecoder().decode(await fetchBytes(manifestUrl))), manifestUrl);
      return loadDataset(manifest, split, (relative) => fetchBytes(new URL(relative, manifestUrl).href));
    })();
    pending.catch(() => loaded.delete(key));
    loaded.set(key, pending);
  }
  return pending;
}

/**
 * The engine table: every engine kind, reached through the one contract (contract.ts). The
 * pipeline and the folding search look engines up here instead of switching on kinds.
 */
import type { EngineSpec } from '../types.ts';
import { addStreamsEngine } from './add-streams.ts';
import type { HwEngine, SpecOf } from './contract.ts';
import { fifoEngine } from './fifo.ts';
import { mvauEngine } from './mvau.ts';
import { globalAccPoolEngine, poolEngine, streamingMaxPoolEngine } from './pool.ts';
import { downSamplerEngine, fmPaddingEngine, slidingWindowEngine } from './sliding-window.ts';
import { thresholdingEngine } from './thresholding.ts';
import { vvauEngine } from './vvau.ts';

export type EngineTable = { readonly [K in EngineSpec['kind']]: HwEngine<SpecOf<K>> };

export const ENGINES: EngineTable = {
  mvau: mvauEngine,
  vvau: vvauEngine,
  'sliding-window': slidingWindowEngine,
  fmpadding: fmPaddingEngine,
  downsampler: downSamplerEngine,
  thresholding: thresholdingEngine,
  pool: poolEngine,
  'streaming-maxpool': streamingMaxPoolEngine,
  'global-acc-pool': globalAccPoolEngine,
  'add-streams': addStreamsEngine,
  fifo: fifoEngine,
};

/** The engine of a spec, typed for that spec. */
export function engineOf<S extends EngineSpec>(spec: S): HwEngine<S> {
  return ENGINES[spec.kind as S['kind']] as unknown as HwEngine<S>;
}

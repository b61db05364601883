/**
 * The engine table: every engine kind, reached through the one contract (contract.ts). The
 * pipeline and the folding search look engines up here instead of switching on kinds.
 */
import { badInput } from '../../errors.ts';
import type { EngineKind, EngineSpec } from '../types.ts';
import { addStreamsEngine } from './add-streams.ts';
import type { HwEngine, SpecOf } from './contract.ts';
import { fifoEngine } from './fifo.ts';
import { mvauEngine } from './mvau.ts';
import { globalAccPoolEngine, poolEngine, streamingMaxPoolEngine } from './pool.ts';
import { downSamplerEngine, fmPaddingEngine, slidingWindowEngine } from './sliding-window.ts';
import { thresholdingEngine } from './thresholding.ts';
import { vvauEngine } from './vvau.ts';
import { widthConverterEngine } from './width-converter.ts';

export type EngineTable = { readonly [K in EngineSpec['kind']]: HwEngine<SpecOf<K>> };

/** Typed per kind (satisfies, not a widening annotation), so that callers get each emitter's data type. */
export const ENGINES = {
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
  'width-converter': widthConverterEngine,
} satisfies EngineTable;

/** The engine of a spec, typed for that spec. */
export function engineOf<S extends EngineSpec>(spec: S): HwEngine<S> {
  return ENGINES[spec.kind as S['kind']] as unknown as HwEngine<S>;
}

/** Engine kinds the RTL generator builds (those with an `rtl` emitter). */
export const RTL_KINDS: EngineKind[] = (Object.keys(ENGINES) as EngineKind[]).filter((k) => ENGINES[k].rtl !== undefined);

/** The Verilog emitter of an engine kind; a clear refusal for kinds the generator does not build. */
export function rtlEmitterOf<K extends keyof typeof ENGINES>(kind: K): NonNullable<(typeof ENGINES)[K]['rtl']> {
  const engine: HwEngine<SpecOf<K>> = ENGINES[kind] as unknown as HwEngine<SpecOf<K>>;
  if (!engine.rtl) {
    throw badInput(`the RTL generator has no emitter for engine kind "${kind}" (FINN ${engine.finnOp}); it builds ${RTL_KINDS.join(', ')}.`, kind);
  }
  return engine.rtl as unknown as NonNullable<(typeof ENGINES)[K]['rtl']>;
}

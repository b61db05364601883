/**
 * Thresholding (requantisation / quantised activation) as FINN's standalone Thresholding_rtl:
 * a binary search over 2^B - 1 thresholds per channel, B output bits.
 *
 * Sources, Xilinx/finn @ 39f0c9a6b:
 * - cycles: src/finn/custom_op/fpgadataflow/thresholding.py get_exp_cycles (= numVectors * C / PE)
 * - memory: rtl/thresholding_rtl.py get_pe_mem_geometries / get_memory_estimate: per PE and per
 *   output bit x, a memory of (threshold bits) x (C/PE * 2^x), each mapped to the primitive with
 *   the least waste (util/basic.py memutil). FINN's lut_estimation is the LUTRAM count only.
 * Departures: URAM is not offered (FINN always lists the Versal URAM primitives; the model
 * does not budget URAM); comparator logic (PE * B * threshold bits LUTs) and FF are ours.
 */
import { minWastePrimitive } from '../memory.ts';
import type { EngineCost, EngineDevice, MemStyle } from '../types.ts';

export interface ThresholdingShape {
  channels: number;
  /** Pixels per frame (H*W), 1 after FC. */
  numVectors: number;
  /** Width of a threshold = width of the incoming accumulator. */
  thresholdBits: number;
}

export function thresholdingCost(
  shape: ThresholdingShape,
  outBits: number,
  pe: number,
  _device: EngineDevice,
  memStyle: MemStyle = 'auto',
): EngineCost {
  const { channels: C, numVectors, thresholdBits: T } = shape;
  if (!Number.isInteger(pe) || pe < 1 || C % pe !== 0) throw new RangeError(`thresholding: PE=${pe} does not divide ${C}`);
  const cf = C / pe;
  const allowed = {
    uram: false,
    bram18: memStyle !== 'lutram',
    lutram: memStyle !== 'bram',
  };
  let bram18 = 0;
  let lutram = 0;
  for (let x = 0; x < outBits; x++) {
    const choice = minWastePrimitive(T, cf * 2 ** x, allowed);
    bram18 += pe * choice.bram18;
    lutram += pe * choice.lutram;
  }
  const notes = [`thresholds ${2 ** outBits - 1} x ${T} b per channel: ${bram18} RAMB18, ${lutram} LUTRAM`];
  return {
    cycles: numVectors * cf,
    dsp: 0,
    bram18,
    lut: lutram + pe * outBits * T,
    ff: 32 + pe * outBits * (T + outBits),
    weightMemBits: C * (2 ** outBits - 1) * T,
    fillWords: 1,
    inWords: numVectors * cf,
    outWords: numVectors * cf,
    outWidth: pe * outBits,
    notes,
  };
}

/**
 * FF (and, once applied, LUT) of the compute engines calibrated on synthesis (issue 17 section 3). For a device
 * of a calibrated family (7-series Xilinx, Gowin GW2A, Anlogic EG4), an engine kind with fitted
 * coefficients estimates LUT and FF as a linear function of its structural features (defined by
 * each engine file: operand bits, accumulators, ROM bits, ...), fitted by tools/synth/calibrate.ts
 * on single engines synthesized with Yosys (tools/synth/grid.ts). The coefficients are data
 * (calibration.json) with their source, Yosys version and date. Other devices, and kinds
 * without coefficients, keep the FINN-based priors. DSP and BRAM are not calibrated: they are
 * counted structurally (FINN formulas), and the grid checks them.
 */
import table from './calibration.json';
import type { EngineCost } from './types.ts';

export type CalibrationFamily = 'xilinx' | 'gowin' | 'anlogic';
export type CalibratedKind = 'mvau' | 'vvau' | 'requant';

/** Structural features of one engine instance, by name; the coefficients multiply them. */
export type Features = Record<string, number>;

export interface KindCoefficients {
  lut: Record<string, number>;
  ff: Record<string, number>;
}

export interface CalibrationTable {
  source: string;
  yosys: string;
  date: string;
  /** Device LUTs per LUT6 assumed when the coefficients were turned back into the engines' LUT6 unit. */
  families: Partial<Record<CalibrationFamily, { lutPerLut6: number; kinds: Partial<Record<CalibratedKind, KindCoefficients>> }>>;
}

export const CALIBRATION = table as CalibrationTable;

/** The calibrated family of a device (by its catalog family), or null. */
export function calibrationFamily(device: { family: string; vendor: string }): CalibrationFamily | null {
  if (device.vendor === 'Gowin' && /GW2A/.test(device.family)) return 'gowin';
  if (device.vendor === 'Anlogic' && /EG4/.test(device.family)) return 'anlogic';
  if (/^AMD/.test(device.vendor) && /^(Zynq-7000|Artix-7|Kintex-7|Virtex-7|Spartan-7)$/.test(device.family)) return 'xilinx';
  return null;
}

const dot = (coef: Record<string, number>, f: Features) => Object.entries(coef).reduce((s, [k, c]) => s + c * (f[k] ?? 0), 0);

/**
 * The cost with FF replaced by the calibrated fit when the family has coefficients for the kind.
 * LUT keeps the prior: the fitted LUT coefficients are better per engine, but applied alone they
 * made whole designs worse (paper-sized EG4S20: prior -29 %, calibrated -43.5 % vs Yosys),
 * because the sliding windows, FIFOs and width converters that the grid did not calibrate are
 * under-estimated and the MVAU/VVAU over-estimate was hiding that (docs/decisions.md). They are
 * applied once those kinds are calibrated too (the LUT features stay in the signature for that).
 */
export function calibrate(cost: EngineCost, family: CalibrationFamily | undefined, kind: CalibratedKind, _lut: Features, ff: Features): EngineCost {
  if (!family) return cost;
  const fam = CALIBRATION.families[family];
  const coef = fam?.kinds[kind];
  if (!fam || !coef) return cost;
  return {
    ...cost,
    ff: Math.max(0, Math.round(dot(coef.ff, ff))),
    notes: [...cost.notes, `FF calibrated on Yosys synthesis for ${family} (${CALIBRATION.yosys}, ${CALIBRATION.date}; src/core/hw/calibration.json); LUT is the FINN-based prior`],
  };
}


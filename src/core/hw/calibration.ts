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
/** Engine kinds of the synthesis grid (tools/synth/configs.ts): swg = sliding window with its padding, dwc = width converter, gpool = global average pool, maxpool = StreamingMaxPool and the windowed Pool (max). */
export type CalibratedKind = 'mvau' | 'vvau' | 'requant' | 'swg' | 'fifo' | 'dwc' | 'gpool' | 'maxpool';

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
  /**
   * The families whose LUT fit the estimator applies too (FF always is): decided per family on
   * whole designs (docs/decisions.md), or for a family that keeps the prior, a list of kinds whose
   * fit is applied anyway (their held-out error beats the prior's); kept by tools/synth/calibrate.ts
   * unless told otherwise.
   */
  applyLut: Partial<Record<CalibrationFamily, boolean | CalibratedKind[]>>;
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

/** Whether the estimator applies the LUT fit of `kind` on `family` (the table's `applyLut`). */
export function lutFitApplied(family: CalibrationFamily, kind: CalibratedKind): boolean {
  const rule = CALIBRATION.applyLut[family];
  return rule === true || (Array.isArray(rule) && rule.includes(kind));
}

const dot = (coef: Record<string, number>, f: Features) => Object.entries(coef).reduce((s, [k, c]) => s + c * (f[k] ?? 0), 0);

/** The family's coefficients for a kind, or null. */
function coefficients(family: CalibrationFamily | undefined, kind: CalibratedKind): { fam: { lutPerLut6: number }; coef: KindCoefficients } | null {
  if (!family) return null;
  const fam = CALIBRATION.families[family];
  const coef = fam?.kinds[kind];
  return fam && coef ? { fam, coef } : null;
}

/**
 * The cost with FF (and, when the table says `applyLut`, LUT) replaced by the calibrated fit when
 * the family has coefficients for the kind. The LUT fit is fitted in the device's own LUT unit and
 * turned back into LUT6 here (the pipeline multiplies by the device's LUT factor again). Whether
 * LUT is applied is decided per family on whole designs (docs/decisions.md): on Anlogic, with
 * windows, FIFOs and width converters calibrated too, it brought both whole designs within 5 % of
 * Yosys; on Gowin it first made the default design worse (memories Yosys put in block RAM), and is
 * applied since session 10, once the generator stated the memory placement (both Gowin whole
 * designs within 3 %, docs/hardware-model.md); on Xilinx since session 11 for the window, FIFO,
 * width converter and requantiser, not the MVAU / VVAU, whose LUT-multiplier term is fitted on
 * 2-bit products only (docs/decisions.md "Session 11").
 */
export function calibrate(cost: EngineCost, family: CalibrationFamily | undefined, kind: CalibratedKind, lut: Features, ff: Features): EngineCost {
  const c = coefficients(family, kind);
  if (!c) return cost;
  const withLut = lutFitApplied(family!, kind);
  return {
    ...cost,
    ...(withLut ? { lut: Math.max(0, dot(c.coef.lut, lut)) / c.fam.lutPerLut6 } : {}),
    ff: Math.max(0, Math.round(dot(c.coef.ff, ff))),
    notes: [...cost.notes, `${withLut ? 'LUT and FF' : 'FF'} calibrated on Yosys synthesis for ${family} (${CALIBRATION.yosys}, ${CALIBRATION.date}; src/core/hw/calibration.json)${withLut ? '' : '; LUT is the FINN-based prior'}`],
  };
}

/**
 * A cost that a calibrated kind already covers (FMPadding: the generator pads inside the window,
 * whose fit includes that logic): the calibrated quantities become 0 on that family.
 */
export function calibratedAway(cost: EngineCost, family: CalibrationFamily | undefined, kind: CalibratedKind, why: string): EngineCost {
  if (!coefficients(family, kind)) return cost;
  const withLut = lutFitApplied(family!, kind);
  return { ...cost, ...(withLut ? { lut: 0 } : {}), ff: 0, notes: [...cost.notes, `${withLut ? 'LUT and FF' : 'FF'} 0 on ${family}: ${why}`] };
}

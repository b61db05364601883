/**
 * Chip power: static power of the fabric plus dynamic power of the resources used, scaled by
 * clock and toggle rate. None of FINN, fpgaConvNet or hls4ml models power, so the coefficients
 * are ours; docs/hardware-model.md gives their derivation, the calibration checks against
 * published measurements and how far off they are. Board power (regulators, DRAM, PS, I/O) is
 * not included.
 *
 *   P = P_static + (f_MHz) * (activity / 0.125) * (kLut*LUT6 + kFf*FF + kDsp*DSP) + f_MHz * kBram*BRAM18
 *
 * Coefficients are in microwatts per MHz per resource at the Xilinx Power Estimator's default
 * 12.5 % toggle rate; BRAM power follows the clock (streamed weights are read every cycle), not
 * the toggle rate. Static power scales with fabric size (mW per 1000 LUT6-equivalents).
 */
import { lutFactor, type Device } from './devices.ts';

export interface PowerCoefficients {
  label: string;
  /** Static mW per 1000 LUT6-equivalents of fabric. */
  staticMwPerKLut6: number;
  kLut: number;
  kFf: number;
  kDsp: number;
  kBram18: number;
  /** Relative 1-sigma uncertainty of the total (0.5 = +-50 %). */
  uncertainty: number;
  source: string;
}

/**
 * 28 nm 7-series magnitudes, per unit at 100 MHz and 12.5 % toggle: LUT (logic + routing)
 * ~8 uW, FF (incl. clock load) ~1.5 uW, DSP48E1 ~0.8 mW, RAMB18 at full enable ~1.2 mW; PL static
 * of an XC7Z020 ~0.1 W at 25 C. Other nodes are scaled by V^2*C: 16 nm UltraScale+ x0.6
 * (0.85 V vs 1.0 V core), 40-55 nm parts x2 (1.1-1.2 V core, larger capacitance).
 */
const BASE_28 = { kLut: 0.08, kFf: 0.015, kDsp: 8, kBram18: 12 };

/** The 28 nm dynamic coefficients scaled for another node. */
const scaled28 = (factor: number) => ({ kLut: BASE_28.kLut * factor, kFf: BASE_28.kFf * factor, kDsp: BASE_28.kDsp * factor, kBram18: BASE_28.kBram18 * factor });

export const POWER_FAMILIES: Record<string, PowerCoefficients> = {
  'xilinx-28nm': {
    label: 'Xilinx 7-series, 28 nm',
    staticMwPerKLut6: 1.9,
    ...BASE_28,
    uncertainty: 0.5,
    source: 'edgefold coefficients from Xilinx Power Estimator-class magnitudes for 7-series (see docs/hardware-model.md, Power)',
  },
  'xilinx-16nm': {
    label: 'Xilinx UltraScale+, 16 nm',
    staticMwPerKLut6: 3.5,
    ...scaled28(0.6),
    uncertainty: 0.5,
    source: '28 nm coefficients scaled by V^2 (0.85 V / 1.0 V) and node capacitance; static from XPE-class PL static of a ZU3EG (~0.25 W)',
  },
  'generic-40-55nm': {
    label: '40-55 nm low-cost FPGA (Anlogic EG4, Gowin GW2A, Pango Logos)',
    staticMwPerKLut6: 4,
    ...scaled28(2),
    uncertainty: 0.6,
    source: '28 nm coefficients scaled x2 for 1.1-1.2 V core and larger capacitance; checked against the reference paper (docs/hardware-model.md)',
  },
  'generic-28nm': {
    label: '22-28 nm FPGA of unknown family (Gowin Arora V, Anlogic PH1)',
    staticMwPerKLut6: 2.5,
    ...BASE_28,
    uncertainty: 0.7,
    source: 'Xilinx 28 nm coefficients used as a stand-in; no vendor power data read',
  },
};

export function powerFamily(device: Device): PowerCoefficients {
  if (device.vendor.includes('Xilinx')) return device.processNm === 16 ? POWER_FAMILIES['xilinx-16nm'] : POWER_FAMILIES['xilinx-28nm'];
  if (device.processNm !== null && device.processNm >= 40) return POWER_FAMILIES['generic-40-55nm'];
  if (/EG4|GW2A|Logos|PGL/i.test(`${device.family} ${device.id}`)) return POWER_FAMILIES['generic-40-55nm'];
  return POWER_FAMILIES['generic-28nm'];
}

export interface PowerEstimate {
  staticW: number;
  dynamicW: number;
  totalW: number;
  breakdown: { lut: number; ff: number; dsp: number; bram: number };
  /** totalW * (1 -+ uncertainty). */
  rangeW: [number, number];
  activity: number;
  family: string;
  source: string;
}

/** `used.lut` is in the device's own LUT unit; it is converted back to LUT6 for the coefficients. */
export function estimatePower(
  used: { lut: number; ff: number; dsp: number; bram18: number },
  device: Device,
  clockMHz: number,
  activity = 0.125,
): PowerEstimate {
  const c = powerFamily(device);
  const factor = lutFactor(device);
  const lut6 = used.lut / factor;
  const fabricLut6 = device.lut === null ? lut6 : device.lut / factor;
  const staticW = device.staticPowerW ?? (c.staticMwPerKLut6 * fabricLut6) / 1e6;
  const scale = (clockMHz * activity) / 0.125 / 1e6; // uW -> W, toggle-scaled
  const breakdown = {
    lut: c.kLut * lut6 * scale,
    ff: c.kFf * used.ff * scale,
    dsp: c.kDsp * used.dsp * scale,
    bram: (c.kBram18 * used.bram18 * clockMHz) / 1e6,
  };
  const dynamicW = breakdown.lut + breakdown.ff + breakdown.dsp + breakdown.bram;
  const totalW = staticW + dynamicW;
  return {
    staticW,
    dynamicW,
    totalW,
    breakdown,
    rangeW: [totalW * (1 - c.uncertainty), totalW * (1 + c.uncertainty)],
    activity,
    family: c.label,
    source: device.staticPowerW !== null ? `static: device catalog; dynamic: ${c.source}` : c.source,
  };
}

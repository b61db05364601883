/**
 * The device catalog (devices.json) and user-added devices.
 *
 * LUT sizes: every engine cost is computed in 6-input LUTs (FINN's estimators are calibrated on
 * Xilinx LUT6 fabric) and converted to the device's own LUT unit by `lutFactor`:
 * - LUT6 -> LUT4: x1.6. AMD UG474 (7 Series CLB User Guide), "Device Resources": a logic cell is
 *   the equivalent of a 4-input LUT and a flip-flop, and the ratio of logic cells to 6-input LUTs
 *   is 1.6:1.
 * - LUT6 -> LUT5: x1.6 / 1.2 = 1.33, using the published rule of thumb 1 LUT5 = 1.2 LUT4
 *   (shared/docs/hardware-reference.md).
 * - A device may override the factor (`lutPerLut6`): Anlogic's tools count LUT4-equivalents as
 *   1.8 per LUT6 site (shared/docs/hardware-reference.md), so PH1A60 uses 1.8.
 * The spread between 1.6 and 1.8 is the conversion's own uncertainty (about +-10 %).
 */
import { badInput } from '../errors.ts';
import catalog from './devices.json';
import { calibrationFamily } from './calibration.ts';
import type { DspType, EngineDevice } from './types.ts';
import { MEMORY_LIBRARIES, type MemoryLibrary } from './yosys-memory.ts';

export interface BramBlock {
  /** Size of one block in Kbit (36 for Xilinx RAMB36, 9/32 for Anlogic, 18 for Gowin BSRAM). */
  blockKb: number;
  count: number;
}

export interface Device {
  id: string;
  vendor: string;
  family: string;
  name: string;
  /** LUT count in the device's own LUT unit (see lutInputs). */
  lut: number | null;
  lutInputs: 4 | 5 | 6;
  /** Device LUTs per LUT6; defaults by lutInputs (6: 1, 5: 1.33, 4: 1.6). */
  lutPerLut6?: number;
  ff: number | null;
  dsp: number | null;
  dspType: DspType;
  /** [a, b] bit widths of one DSP multiplier. */
  dspMultiplier: [number, number] | null;
  bram: BramBlock[];
  /** RAMB18-equivalent count (18 Kbit units). */
  bram18: number | null;
  uram: number | null;
  /** The Yosys memory library the device's memories are counted with (EngineDevice.memoryLibrary); absent: FINN's rules. */
  memoryLibrary?: MemoryLibrary;
  staticPowerW: number | null;
  processNm: number | null;
  /** False when the numbers were not re-read from the vendor's data sheet. */
  verified: boolean;
  /** Source of each number, by field name. */
  sources: Record<string, string>;
  custom?: boolean;
}

const DSP_TYPES: DspType[] = ['DSP48E1', 'DSP48E2', 'DSP58', 'generic'];

const DEFAULT_LUT_FACTOR: Record<4 | 5 | 6, number> = { 6: 1, 5: 1.6 / 1.2, 4: 1.6 };

/** Multiply a LUT6 cost by this to get the device's LUT unit. */
export function lutFactor(device: Pick<Device, 'lutInputs' | 'lutPerLut6'>): number {
  return device.lutPerLut6 ?? DEFAULT_LUT_FACTOR[device.lutInputs];
}


/** Catalog lookup (case-insensitive), or a custom device list to search as well. */
export function getDevice(id: string, custom: readonly Device[] = []): Device {
  const key = id.trim().toUpperCase();
  const found = [...custom, ...DEVICES].find((d) => d.id.toUpperCase() === key);
  if (!found) {
    const ids = [...DEVICES, ...custom].map((d) => d.id).join(', ');
    throw badInput(`Unknown device "${id}". Known devices: ${ids}.`, 'device');
  }
  return found;
}

/** The view of a device the engines use. */
export function toEngineDevice(device: Device): EngineDevice {
  return {
    lutInputs: device.lutInputs,
    dspType: device.dspType,
    dspMultiplier: device.dspMultiplier,
    // Budgets in LUT6 units, for the engines' relative-cost memory choices.
    lut: device.lut === null ? null : device.lut / lutFactor(device),
    bram18: device.bram18,
    dsp: device.dsp,
    uram: device.uram,
    ...(device.memoryLibrary ? { memoryLibrary: device.memoryLibrary } : {}),
    ...(calibrationFamily(device) ? { calibration: calibrationFamily(device)! } : {}),
  };
}

/** How many of the device's own blocks a RAMB18 count is, by capacity (e.g. "14 x 36 Kb"). */
export function bramInDeviceBlocks(bram18: number, device: Device): string {
  // To 0.01 Kb: Anlogic block counts are fractional RAMB18 equivalents (yosys-memory.ts).
  if (device.bram.length !== 1) return `${Math.round(bram18 * 18 * 100) / 100} Kb`;
  const { blockKb } = device.bram[0];
  return `${Math.ceil((bram18 * 18) / blockKb)} x ${blockKb} Kb`;
}


function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a device entry (catalog or user-added) and fills derived fields (bram18 from the
 * block list). Throws EdgefoldError('bad-input') naming the field and what is allowed.
 */
export function validateDevice(input: unknown, where = 'custom device', custom = true): Device {
  if (!isRecord(input)) throw badInput(`${where}: a device must be a JSON object.`, 'device');
  const id = input.id;
  if (typeof id !== 'string' || id.trim() === '') throw badInput(`${where}: "id" must be a non-empty string.`, 'device.id');
  const label = `${where} "${id}"`;
  const field = (name: string) => `device.${name}`;
  const count = (name: string, opts: { positive?: boolean; nullable?: boolean } = {}): number | null => {
    const v = input[name];
    if ((v === null || v === undefined) && opts.nullable !== false) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isInteger(v) || v < (opts.positive ? 1 : 0)) {
      throw badInput(
        `${label}: "${name}" must be ${opts.positive ? 'a positive' : 'a non-negative'} integer${opts.nullable === false ? '' : ' or null (unknown)'}, got ${JSON.stringify(v)}.`,
        field(name),
      );
    }
    return v;
  };
  const lutInputs = input.lutInputs;
  if (lutInputs !== 4 && lutInputs !== 5 && lutInputs !== 6) {
    throw badInput(`${label}: "lutInputs" must be 4, 5 or 6 (inputs per LUT of the fabric), got ${JSON.stringify(lutInputs)}.`, field('lutInputs'));
  }
  const lutPerLut6 = input.lutPerLut6;
  if (lutPerLut6 !== undefined && (typeof lutPerLut6 !== 'number' || !(lutPerLut6 >= 1 && lutPerLut6 <= 4))) {
    throw badInput(`${label}: "lutPerLut6" must be a number between 1 and 4, got ${JSON.stringify(lutPerLut6)}.`, field('lutPerLut6'));
  }
  const dspType = input.dspType ?? 'generic';
  if (typeof dspType !== 'string' || !DSP_TYPES.includes(dspType as DspType)) {
    throw badInput(`${label}: "dspType" must be one of ${DSP_TYPES.join(', ')}, got ${JSON.stringify(dspType)}.`, field('dspType'));
  }
  let dspMultiplier: [number, number] | null = null;
  if (input.dspMultiplier !== null && input.dspMultiplier !== undefined) {
    const m = input.dspMultiplier;
    if (!Array.isArray(m) || m.length !== 2 || !m.every((x) => Number.isInteger(x) && x > 0 && x <= 64)) {
      throw badInput(`${label}: "dspMultiplier" must be [a, b] with the multiplier's operand widths in bits (e.g. [18, 18]) or null, got ${JSON.stringify(m)}.`, field('dspMultiplier'));
    }
    dspMultiplier = [m[0], m[1]];
  }
  const bramIn = input.bram ?? [];
  if (!Array.isArray(bramIn)) throw badInput(`${label}: "bram" must be a list of {blockKb, count}.`, field('bram'));
  const bram: BramBlock[] = bramIn.map((b, i) => {
    if (!isRecord(b) || typeof b.blockKb !== 'number' || !(b.blockKb > 0) || !Number.isInteger(b.count) || (b.count as number) < 0) {
      throw badInput(`${label}: bram[${i}] must be {blockKb: positive number, count: non-negative integer}, got ${JSON.stringify(b)}.`, field(`bram[${i}]`));
    }
    return { blockKb: b.blockKb, count: b.count as number };
  });
  let bram18 = count('bram18');
  if (bram18 === null && bram.length > 0) bram18 = Math.floor(bram.reduce((s, b) => s + b.blockKb * b.count, 0) / 18);
  const memoryLibrary = input.memoryLibrary;
  if (memoryLibrary !== undefined && !(MEMORY_LIBRARIES as readonly unknown[]).includes(memoryLibrary)) {
    throw badInput(`${label}: "memoryLibrary" must be one of ${MEMORY_LIBRARIES.join(', ')} or absent (FINN's rules), got ${JSON.stringify(memoryLibrary)}.`, field('memoryLibrary'));
  }
  const staticPowerW = input.staticPowerW ?? null;
  if (staticPowerW !== null && (typeof staticPowerW !== 'number' || !(staticPowerW >= 0 && staticPowerW < 100))) {
    throw badInput(`${label}: "staticPowerW" must be a number of watts (0-100) or null, got ${JSON.stringify(staticPowerW)}.`, field('staticPowerW'));
  }
  const sources = input.sources ?? {};
  if (!isRecord(sources) || !Object.values(sources).every((s) => typeof s === 'string')) {
    throw badInput(`${label}: "sources" must map field names to source strings.`, field('sources'));
  }
  const text = (name: string, fallback: string): string => {
    const v = input[name];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') throw badInput(`${label}: "${name}" must be a string.`, field(name));
    return v;
  };
  const device: Device = {
    id: id.trim(),
    vendor: text('vendor', custom ? 'custom' : ''),
    family: text('family', custom ? 'custom' : ''),
    name: text('name', id.trim()),
    lut: count('lut', { positive: true }),
    lutInputs,
    ...(lutPerLut6 !== undefined ? { lutPerLut6: lutPerLut6 as number } : {}),
    ff: count('ff'),
    dsp: count('dsp'),
    dspType: dspType as DspType,
    dspMultiplier,
    bram,
    bram18,
    uram: count('uram'),
    ...(memoryLibrary ? { memoryLibrary: memoryLibrary as MemoryLibrary } : {}),
    staticPowerW: staticPowerW as number | null,
    processNm: count('processNm', { positive: true }),
    verified: input.verified === true,
    sources: sources as Record<string, string>,
    ...(custom ? { custom: true } : {}),
  };
  if (custom && catalogDevices().some((d) => d.id.toUpperCase() === device.id.toUpperCase())) {
    throw badInput(`${label}: the id clashes with a catalog device; pick another id.`, field('id'));
  }
  return device;
}

let catalogCache: readonly Device[] | null = null;
function catalogDevices(): readonly Device[] {
  catalogCache ??= (catalog.devices as unknown[]).map((d, i) => validateDevice(d, `devices.json[${i}]`, false));
  return catalogCache;
}

/** The built-in catalog, validated once. */
export const DEVICES: readonly Device[] = catalogDevices();

export function listDevices(): readonly Device[] {
  return DEVICES;
}

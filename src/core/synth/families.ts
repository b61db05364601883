/**
 * Synthesis families: the Yosys script of each, and how its cells count as LUT / FF / DSP / BRAM.
 * Pure (no Node): the CLI runs Yosys (src/cli/synth-run.ts) and hands the `stat -json` text here.
 *
 * Cell-counting rule (docs/hardware-model.md "Synthesized resources"):
 * - LUT, in the family's own LUT unit (LUT6 for Xilinx, LUT4 for Gowin and Anlogic):
 *   Xilinx LUT1-LUT6 = 1 each; Gowin LUT1-LUT4 = 1, ALU = 1 (an ALU bit occupies one LUT4 of a
 *   CLS), MUX2_LUT5-8 = 0 (the dedicated wide-function muxes that join LUT4s, as Xilinx MUXF7/8);
 *   Anlogic AL_MAP_LUT1-4 = 1, AL_MAP_LUT5 = 2, AL_MAP_LUT6 = 4 (an EG4 LUT5 is two LUT4s and
 *   a mux, a LUT6 four), AL_MAP_ADDER = 1 (one adder bit per LUT4 position).
 *   Distributed RAM counts by storage: a LUT6 holds 64 bits, a LUT4 16 bits (Xilinx RAM32M/RAM64M
 *   = 4, RAM32X1D/RAM64X1D = 2, RAM32X1S/RAM64X1S = 1, RAM128X1D = 4, SRL16E/SRLC32E = 1; Gowin
 *   RAM16SDP4 = 4, RAM16SDP2 = 2, RAM16SDP1 = 1; Anlogic EG_LOGIC_DRAM16X4 = 4). Also reported
 *   apart as `lutram`.
 * - FF: every flip-flop cell (Xilinx FD*, Gowin DFF*, Anlogic AL_MAP_SEQ).
 * - DSP: Xilinx DSP48E1 = 1; Gowin MULT18X18 = 1; Anlogic EG_PHY_MULT18 = 1.
 * - BRAM in RAMB18 equivalents (the estimator's unit): Xilinx RAMB18E1 = 1, RAMB36E1 = 2; Gowin
 *   BSRAM (SP, SDP, DP and their X9 forms, 18 Kbit) = 1; Anlogic EG_PHY_BRAM (9 Kbit) = 0.5,
 *   EG_PHY_BRAM32K = 32/18 (capacity, as the device table's bram18 for EG4S20).
 * - Not counted: I/O buffers, carry chains (CARRY4, counted with their LUTs), clock buffers,
 *   constants (GND, VCC), wide muxes (MUXF7/8, MUX2_LUT5-8), inverters on Xilinx (INV, absorbed
 *   in P&R), and Yosys 0.55's `$scopeinfo` (a record of a flattened instance's name, no hardware). Every cell type that matches no rule is listed in `unmapped` (never silently dropped).
 */
import { GOWIN_BLACKBOXES, type VendorMultiplier } from '../rtl/vendor-mul.ts';

export type SynthFamily = 'xilinx' | 'gowin' | 'anlogic';
export const SYNTH_FAMILIES: SynthFamily[] = ['xilinx', 'gowin', 'anlogic'];

export interface FamilyInfo {
  /** The device the family's numbers are compared with (src/core/hw/devices.json). */
  device: string;
  /** Yosys synthesis command (top added by the caller); flattens the design. */
  synth: string;
  /** The same, keeping the hierarchy (one module per engine instance, for a per-engine breakdown). */
  synthHierarchical: string;
  /** LUT unit of the counts. */
  lutUnit: 'LUT6' | 'LUT4';
  /** Products on DSPs go to this primitive in the generated Verilog (Xilinx: Yosys infers DSP48E1 from `*`). */
  vendorMultiplier?: VendorMultiplier;
}

export const FAMILIES: Record<SynthFamily, FamilyInfo> = {
  // -noiopad: engines and the top are measured as cores, without I/O buffers.
  // synth_xilinx keeps the hierarchy unless told -flatten; synth_gowin and synth_anlogic flatten unless -noflatten.
  xilinx: { device: 'XC7Z020', synth: 'synth_xilinx -family xc7 -noiopad -flatten', synthHierarchical: 'synth_xilinx -family xc7 -noiopad', lutUnit: 'LUT6' },
  gowin: { device: 'GW2A-18', synth: 'synth_gowin', synthHierarchical: 'synth_gowin -noflatten', lutUnit: 'LUT4', vendorMultiplier: 'gowin' },
  anlogic: { device: 'EG4S20', synth: 'synth_anlogic', synthHierarchical: 'synth_anlogic -noflatten', lutUnit: 'LUT4', vendorMultiplier: 'anlogic' },
};

export function parseFamily(text: string): SynthFamily {
  const f = text.toLowerCase();
  if (f === 'xilinx' || f === 'gowin' || f === 'anlogic') return f;
  throw new RangeError(`--family must be xilinx, gowin or anlogic, got "${text}".`);
}

export interface SynthCounts {
  lut: number;
  /** Part of `lut` that is distributed RAM / shift registers. */
  lutram: number;
  ff: number;
  dsp: number;
  /** RAMB18 equivalents. */
  bram18: number;
}

type Counter = (type: string) => Partial<SynthCounts> | 'ignore' | null;

const XILINX_LUTRAM: Record<string, number> = {
  RAM32M: 4, RAM64M: 4, RAM32M16: 8, RAM64M8: 8, RAM32X1D: 2, RAM64X1D: 2, RAM128X1D: 4, RAM256X1D: 8,
  RAM32X1S: 1, RAM64X1S: 1, RAM128X1S: 2, RAM256X1S: 4, SRL16E: 1, SRLC32E: 1, SRLC16E: 1,
};
const GOWIN_LUTRAM: Record<string, number> = { RAM16SDP4: 4, RAM16SDP2: 2, RAM16SDP1: 1, RAM16S4: 4, RAM16S2: 2, RAM16S1: 1 };

const COUNTERS: Record<SynthFamily, Counter> = {
  xilinx: (t) => {
    if (/^LUT[1-6]$/.test(t)) return { lut: 1 };
    if (t in XILINX_LUTRAM) return { lut: XILINX_LUTRAM[t], lutram: XILINX_LUTRAM[t] };
    if (/^FD[A-Z]*$/.test(t) || /^LD[A-Z]*$/.test(t)) return { ff: 1 };
    if (t === 'DSP48E1') return { dsp: 1 };
    if (t === 'RAMB18E1') return { bram18: 1 };
    if (t === 'RAMB36E1') return { bram18: 2 };
    if (/^(CARRY4|MUXF7|MUXF8|INV|BUFG|IBUF|OBUF|GND|VCC)$/.test(t)) return 'ignore';
    return null;
  },
  gowin: (t) => {
    if (/^LUT[1-4]$/.test(t) || t === 'ALU') return { lut: 1 };
    if (t in GOWIN_LUTRAM) return { lut: GOWIN_LUTRAM[t], lutram: GOWIN_LUTRAM[t] };
    if (/^DFF[A-Z]*$/.test(t)) return { ff: 1 };
    if (t === 'MULT18X18') return { dsp: 1 };
    if (/^(SP|SDP|DP|SPX9|SDPX9|DPX9|DPB|DPX9B|SDPB|SDPX9B|pROM|pROMX9)$/.test(t)) return { bram18: 1 };
    if (/^(MUX2_LUT[5-8]|MUX2|GND|VCC|IBUF|OBUF|GSR)$/.test(t)) return 'ignore';
    return null;
  },
  anlogic: (t) => {
    const m = /^AL_MAP_LUT([1-6])$/.exec(t);
    if (m) {
      const k = Number(m[1]);
      return { lut: k <= 4 ? 1 : k === 5 ? 2 : 4 };
    }
    if (t === 'AL_MAP_ADDER') return { lut: 1 };
    if (t === 'EG_LOGIC_DRAM16X4') return { lut: 4, lutram: 4 };
    if (t === 'AL_MAP_SEQ') return { ff: 1 };
    if (t === 'EG_PHY_MULT18') return { dsp: 1 };
    if (t === 'EG_PHY_BRAM') return { bram18: 0.5 };
    if (t === 'EG_PHY_BRAM32K') return { bram18: 32 / 18 };
    if (/^(EG_PHY_GCLK|EG_PHY_IOCLK|EG_PHY_PAD|EG_LOGIC_BUF|GND|VCC)$/.test(t)) return 'ignore';
    return null;
  },
};

export interface CellTally {
  counts: SynthCounts;
  /** Cell types of the top module and their numbers, as Yosys reported them. */
  cells: Record<string, number>;
  /** Cell types no rule covers (hierarchical leftovers, unknown primitives). */
  unmapped: Record<string, number>;
}

/** Applies the family's rule to cell counts by type. */
export function tallyCells(family: SynthFamily, cells: Record<string, number>): CellTally {
  const counts: SynthCounts = { lut: 0, lutram: 0, ff: 0, dsp: 0, bram18: 0 };
  const unmapped: Record<string, number> = {};
  for (const [type, n] of Object.entries(cells)) {
    // Newer Yosys (0.55 here, not 0.23) keeps a $scopeinfo cell per flattened instance: its name, no hardware.
    if (type === '$scopeinfo') continue;
    const c = COUNTERS[family](type);
    if (c === 'ignore') continue;
    if (c === null) {
      unmapped[type] = n;
      continue;
    }
    for (const k of Object.keys(c) as (keyof SynthCounts)[]) counts[k] += n * (c[k] ?? 0);
  }
  counts.bram18 = Math.round(counts.bram18 * 100) / 100;
  return { counts, cells, unmapped };
}

/**
 * Cell counts of `top` from Yosys' `stat -json` output (the JSON object; Yosys may print log
 * lines around it). Yosys 0.23 writes `modules: { "\\top": { num_cells_by_type } }`.
 */
export function parseStatJson(text: string, top: string): Record<string, number> {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error('Yosys stat -json printed no JSON object.');
  const stat = JSON.parse(text.slice(start, end + 1)) as { modules?: Record<string, { num_cells_by_type?: Record<string, number> }> };
  const modules = stat.modules ?? {};
  const entry = modules[`\\${top}`] ?? modules[top];
  if (!entry) throw new Error(`Yosys stat has no module "${top}" (has ${Object.keys(modules).join(', ') || 'none'}).`);
  return { ...(entry.num_cells_by_type ?? {}) };
}

/**
 * Cell counts of every module in a `stat -json` (hierarchical synthesis), by module name without
 * Yosys' leading backslash; blackbox primitives (no cells) are left out.
 */
export function parseStatModules(text: string): Record<string, Record<string, number>> {
  const start = text.indexOf('{');
  const stat = JSON.parse(text.slice(start, text.lastIndexOf('}') + 1)) as { modules?: Record<string, { num_cells_by_type?: Record<string, number> }> };
  const out: Record<string, Record<string, number>> = {};
  for (const [name, m] of Object.entries(stat.modules ?? {})) if (m.num_cells_by_type && Object.keys(m.num_cells_by_type).length) out[name.replace(/^\\/, '')] = { ...m.num_cells_by_type };
  return out;
}

/** The Yosys script: read the Verilog files, synthesize for the family (flat, or keeping the hierarchy), write the stat as JSON. */
export function yosysScript(family: SynthFamily, verilogFiles: string[], top: string, statFile: string, hierarchical = false): string {
  const synth = hierarchical ? FAMILIES[family].synthHierarchical : FAMILIES[family].synth;
  return [...verilogFiles.map((f) => `read_verilog ${f}`), `${synth} -top ${top}`, `tee -q -o ${statFile} stat -json`].join('\n') + '\n';
}

/**
 * What Yosys reads for a design: its files plus the family's blackboxes (Gowin MULT18X18), and the
 * Verilog among them in read order (blackboxes first; the testbench `tb.v` is not hardware).
 */
export function synthInputs(files: Record<string, string>, family: SynthFamily): { files: Record<string, string>; verilog: string[] } {
  const all = { ...files };
  if (family === 'gowin') all['gowin_blackboxes.v'] = GOWIN_BLACKBOXES;
  const verilog = Object.keys(all)
    .filter((f) => f.endsWith('.v') && f !== 'tb.v')
    .sort((a, b) => (a === 'gowin_blackboxes.v' ? -1 : b === 'gowin_blackboxes.v' ? 1 : a.localeCompare(b)));
  return { files: all, verilog };
}

/**
 * The synthesis family of a catalog device, or null when no Yosys flow here covers it
 * (UltraScale+, Anlogic PH1, Gowin GW5A and custom devices have none in FAMILIES).
 */
export function synthFamilyOf(device: { vendor: string; family: string }): SynthFamily | null {
  if (/xilinx/i.test(device.vendor) && /-7$|^Zynq-7000$/.test(device.family)) return 'xilinx';
  if (/gowin/i.test(device.vendor) && /GW2A/.test(device.family)) return 'gowin';
  if (/anlogic/i.test(device.vendor) && /EG4/.test(device.family)) return 'anlogic';
  return null;
}

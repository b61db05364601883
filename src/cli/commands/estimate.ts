import { badInput } from '../../core/errors.ts';
import { checkNumber, LIMITS, quote, type NumberRange } from '../../core/limits.ts';
import { isIntegerDesign, parseCompressionConfig, type CompressionConfig } from '../../core/config/compression.ts';
import { designContext, evaluateDesign, type Design } from '../../core/design/design.ts';
import { validateFolding } from '../../core/hw/folding.ts';
import { parseHwFolding, type HwFolding } from '../../core/hw/config.ts';
import { getDevice, validateDevice, type Device } from '../../core/hw/devices.ts';
import { autoFold, type AutoFoldResult } from '../../core/hw/fold.ts';
import type { Estimate, Resource } from '../../core/hw/pipeline.ts';
import type { Command, ParsedValues } from '../command.ts';
import { formatCount, readCheckedJsonFile, readDataset, readJsonFile, readModelArg, table } from '../io.ts';
import { loadOrt } from '../ort.ts';
import { buildIntegerDesign } from '../rtl-flow.ts';
import { requantBiasWidths } from '../../core/rtl/design.ts';

const shorten = (name: string, max = 36) => (name.length > max ? '…' + name.slice(name.length - max + 1) : name);
const pct = (u: number | null) => (u === null ? 'unknown' : `${(u * 100).toFixed(1)}%`);

function num(value: unknown, name: string, range: NumberRange): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isFinite(v) || v < range.min || v > range.max) throw badInput(`--${name} must be a number from ${range.min} to ${range.max}, got ${quote(value)}.`, name);
  return v;
}

export interface ConfigFile {
  compression?: CompressionConfig;
  folding: HwFolding;
  device?: string;
  clockMHz?: number;
  budget?: number;
}

/**
 * Reads a config file: a deployment config (compression + hardware), a compression config alone
 * (pruning and bits change the layers), or a hardware section alone (`{ layers, device?, clockMHz? }`).
 */
export function parseConfig(json: unknown, path: string): ConfigFile {
  if (typeof json !== 'object' || json === null) throw badInput(`config "${path}" must be a JSON object.`, 'config');
  const root = json as Record<string, unknown>;
  const isCompression = root.compression !== undefined || (root.version !== undefined && root.hardware === undefined && root.layers === undefined) || root.prune !== undefined || root.quant !== undefined;
  const compression = isCompression ? parseCompressionConfig(root) : undefined;
  const hw = (typeof root.hardware === 'object' && root.hardware !== null ? root.hardware : isCompression ? {} : root) as Record<string, unknown>;
  const folding = hw.layers === undefined ? {} : parseHwFolding(hw.layers, root.hardware ? 'hardware.layers' : 'layers');
  const out: ConfigFile = { compression, folding };
  const at = (key: string) => (root.hardware ? `hardware.${key}` : key);
  if (hw.device !== undefined) {
    if (typeof hw.device !== 'string') throw badInput(`config ${at('device')} must be a device id (a string), got ${quote(hw.device)}.`, at('device'));
    out.device = hw.device;
  }
  // The same ranges as --clock and --budget: a config cannot set what the options refuse.
  if (hw.clockMHz !== undefined) out.clockMHz = checkNumber(hw.clockMHz, `config ${at('clockMHz')}`, LIMITS.range.clockMHz);
  if (hw.budget !== undefined) out.budget = checkNumber(hw.budget, `config ${at('budget')}`, LIMITS.range.budget);
  return out;
}

export async function customDevices(path: unknown): Promise<Device[]> {
  if (typeof path !== 'string') return [];
  const json = await readJsonFile(path, 'device file');
  const list = Array.isArray(json) ? json : [json];
  return list.map((d, i) => validateDevice(d, `device file entry ${i}`));
}

function textReport(e: Estimate, fold: AutoFoldResult | null): string {
  const rows = e.layers.map((l) => {
    if (!l.mappable) return [shorten(l.name), l.layerKind, '-', '-', '-', '-', '-', '-', '-'];
    return [
      shorten(l.name) + (l.isBottleneck ? ' *' : ''),
      l.layerKind,
      l.engine ?? '-',
      `${l.config.pe}/${l.config.simd}`,
      formatCount(l.cycles),
      String(l.dsp),
      String(l.bram18),
      formatCount(l.lut),
      formatCount(l.ff),
    ];
  });
  rows.push(['total', '', '', '', formatCount(e.maxCycles), String(e.totals.dsp), String(e.totals.bram18), formatCount(e.totals.lut), formatCount(e.totals.ff)]);
  const res = (r: Resource, label: string) => `${label} ${formatCount(e.resources[r].used)} / ${e.resources[r].available === null ? 'unknown' : formatCount(e.resources[r].available as number)} (${pct(e.resources[r].utilization)})`;
  const lines = [
    `device    ${e.device.id} (${e.device.name}) at ${e.clockMHz} MHz; LUTs in LUT${e.device.lutInputs}${e.device.lutFactor !== 1 ? ` (x${e.device.lutFactor.toFixed(2)} from LUT6)` : ''}`,
    '',
    table(['layer', 'kind', 'engine', 'PE/SIMD', 'cycles', 'DSP', 'RAMB18', 'LUT', 'FF'], rows, new Set([4, 5, 6, 7, 8])),
    '',
    `throughput ${e.fps.toFixed(1)} FPS (f_clk / ${formatCount(e.maxCycles)} cycles), bottleneck ${e.bottleneck ? `${e.bottleneck.layer} (${e.bottleneck.engine})` : '-'}`,
    `latency    ${e.latency.ms.toFixed(3)} ms (${formatCount(e.latency.cycles)} cycles; FINN's pessimistic sum ${formatCount(e.finnCriticalPathCycles)})`,
    `resources  ${res('lut', 'LUT')}, ${res('ff', 'FF')}, ${res('dsp', 'DSP')}, ${res('bram', 'RAMB18')} = ${e.totals.bramDevice}${e.totals.uram > 0 || (e.resources.uram.available ?? 0) > 0 ? `, ${res('uram', 'URAM')}` : ''}`,
    `fits       ${e.fits === null ? 'unknown (some budgets unknown)' : e.fits ? 'yes' : `no: ${e.overflowing.join(', ')} over`}; first to overflow: ${e.firstToOverflow ?? '-'}`,
    `compute    ${formatCount(e.opsPerFrame)} ops/frame (2 x MACs), ${e.gops.toFixed(2)} GOPS`,
    `power      ${e.power.totalW.toFixed(3)} W (static ${e.power.staticW.toFixed(3)} + dynamic ${e.power.dynamicW.toFixed(3)}; range ${e.power.rangeW[0].toFixed(2)}-${e.power.rangeW[1].toFixed(2)} W), ${e.gopsPerWatt.toFixed(2)} GOPS/W`,
  ];
  if (fold) lines.push(`auto-fold  ${fold.met ? '' : 'NOT MET: '}${fold.message}; ${fold.pareto.length} Pareto points (${fold.evaluated} designs evaluated)`);
  for (const u of e.unmapped) lines.push(`not mapped ${u.name}: ${u.reason}`);
  for (const w of e.warnings) lines.push(`warning    ${w}`);
  lines.push('(* = bottleneck layer; FIFOs are included in each layer\'s totals)');
  return lines.join('\n');
}

export const estimateCommand: Command = {
  name: 'estimate',
  summary: 'Estimate FPS, latency, resources and power of the streaming FPGA pipeline; optionally fold it automatically.',
  usage: 'edgefold estimate <model.onnx> [--config cfg.json] --device <id> [--clock MHz] [--auto-fold max-fps|--target-fps N] [--budget 0.8] [--device-file dev.json] [--calibrate [--data manifest.json]] [--json]',
  options: {
    config: { type: 'string' },
    device: { type: 'string' },
    'device-file': { type: 'string' },
    clock: { type: 'string' },
    'auto-fold': { type: 'string' },
    'target-fps': { type: 'string' },
    budget: { type: 'string' },
    calibrate: { type: 'boolean' },
    data: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run([path], values: ParsedValues, io) {
    const { loaded } = await readModelArg(path);
    const cfg = values.config ? await readCheckedJsonFile(String(values.config), 'config', (json) => parseConfig(json, String(values.config))) : { folding: {} };
    const deviceId = (values.device as string | undefined) ?? cfg.device;
    if (!deviceId) throw badInput('--device is required (see "edgefold devices").', 'device');
    const device = getDevice(deviceId, await customDevices(values['device-file']));
    const clockMHz = num(values.clock, 'clock', LIMITS.range.clockMHz) ?? cfg.clockMHz ?? 100;
    const budget = num(values.budget, 'budget', LIMITS.range.budget) ?? cfg.budget ?? 0.8;
    const autoMode = values['auto-fold'] as string | undefined;
    const targetFps = num(values['target-fps'], 'target-fps', LIMITS.range.targetFps);
    if (autoMode !== undefined && autoMode !== 'max-fps') throw badInput(`--auto-fold takes "max-fps" (or use --target-fps N), got "${autoMode}".`, 'auto-fold');
    if (autoMode && targetFps !== undefined) throw badInput('use either --auto-fold max-fps or --target-fps, not both.', 'auto-fold');

    // The same path as the explorer: the design's pruning and bits change the layers, then the estimate.
    const design: Design = {
      compression: cfg.compression ?? { version: 1 },
      hardware: { device: device.id, clockMHz, budget, layers: cfg.folding },
    };
    // --calibrate: the integer network on calibration data, so the requantisers count the bias widths
    // the generator emits (as `edgefold rtl` / `synth` do) instead of the accumulator bound.
    let widths: Record<string, number> = {};
    if (values.calibrate) {
      if (!isIntegerDesign(design.compression)) throw badInput('--calibrate needs a quantized design: the config must set quant.weightBits and quant.activationBits.', 'calibrate');
      const integer = await buildIntegerDesign(loaded, design.compression, await readDataset(values.data as string | undefined, 'calibration'), await loadOrt('wasm'));
      widths = requantBiasWidths(integer.net);
    } else if (values.data !== undefined) throw badInput('--data is read only with --calibrate.', 'data');
    const metrics = evaluateDesign(designContext(loaded), design, [device], widths);
    validateFolding(metrics.hwLayers, cfg.folding);
    const hw = metrics.hwLayers;
    let fold: AutoFoldResult | null = null;
    let e: Estimate;
    if (autoMode || targetFps !== undefined) {
      fold = autoFold(hw, device, clockMHz, { budget, objective: targetFps !== undefined ? { targetFps } : 'max-fps' });
      e = fold.estimate;
    } else {
      e = metrics.estimate;
    }
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            estimate: e,
            ...(fold ? { autoFold: { objective: fold.objective, met: fold.met, message: fold.message, folding: fold.folding, pareto: fold.pareto.map(({ folding: _f, ...p }) => p), evaluated: fold.evaluated } } : {}),
            config: { hardware: { layers: fold ? fold.folding : cfg.folding, device: device.id, clockMHz } },
          },
          null,
          2,
        ),
      );
    } else {
      io.out(textReport(e, fold));
    }
    return fold && !fold.met ? 1 : 0;
  },
};

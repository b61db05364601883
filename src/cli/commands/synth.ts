import { join } from 'node:path';
import { badInput } from '../../core/errors.ts';
import { emitAccelerator } from '../../core/rtl/design.ts';
import { FAMILIES, parseFamily } from '../../core/synth/families.ts';
import type { Command } from '../command.ts';
import { checkOutputDirectory, intOption } from '../io.ts';
import type { EngineName } from '../ort.ts';
import { synthesize } from '../synth-run.ts';
import { prepareAccelerator } from './rtl.ts';

export const synthCommand: Command = {
  name: 'synth',
  summary: "Generate the accelerator and synthesize it with Yosys for a family (Xilinx 7-series, Gowin GW2A, Anlogic EG4): LUT / FF / DSP / BRAM next to the estimate (pre-place-and-route).",
  usage:
    'edgefold synth <model.onnx> --config <cfg.json> --family xilinx|gowin|anlogic -o <dir> [--device ID] [--clock MHz] [--auto-fold max-fps] [--timeout 1800] [--data manifest.json] [--json]',
  options: {
    config: { type: 'string', short: 'c' },
    output: { type: 'string', short: 'o' },
    family: { type: 'string' },
    device: { type: 'string' },
    'device-file': { type: 'string' },
    clock: { type: 'string' },
    'auto-fold': { type: 'string' },
    budget: { type: 'string' },
    timeout: { type: 'string' },
    data: { type: 'string' },
    engine: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run([path], values, io) {
    const configPath = values.config as string | undefined;
    const output = values.output as string | undefined;
    if (!configPath) throw badInput('--config <cfg.json> (a deployment or compression config with quant settings) is required.', 'config');
    if (!output) throw badInput('-o <dir> is required.', 'output');
    if (!values.family) throw badInput('--family xilinx|gowin|anlogic is required.', 'family');
    let family;
    try {
      family = parseFamily(values.family as string);
    } catch (e) {
      throw badInput((e as Error).message, 'family');
    }
    const autoMode = values['auto-fold'] as string | undefined;
    if (autoMode !== undefined && autoMode !== 'max-fps') throw badInput(`--auto-fold takes "max-fps", got "${autoMode}".`, 'auto-fold');
    const timeoutS = intOption(values.timeout, 'timeout') ?? 1800;
    await checkOutputDirectory(output);
    const info = FAMILIES[family];
    // The family's own device unless one is named: the folding and the DSP choices are the device's.
    const withDevice = { ...values, device: (values.device as string | undefined) ?? info.device };
    const { device, clockMHz, est, folded, integer } = await prepareAccelerator(path, configPath, withDevice, autoMode !== undefined, (values.engine ?? 'native') as EngineName);
    const design = emitAccelerator(integer.net, est, { images: 1, ...(info.vendorMultiplier ? { vendorMultiplier: info.vendorMultiplier } : {}) });
    const run = await synthesize(design.files, design.top, family, output, { timeoutMs: timeoutS * 1000 });
    const estimated = { lut: Math.round(est.totals.lut), ff: est.totals.ff, dsp: est.totals.dsp, bram18: est.totals.bram18 };
    const summary = {
      output: join(output),
      family,
      device: device.id,
      folding: folded ? 'auto-fold max-fps' : 'config',
      clockMHz,
      fps: est.fps,
      yosys: run.yosysVersion,
      synthesis: `${info.synth} -top ${design.top}`,
      seconds: run.seconds,
      lutUnit: info.lutUnit,
      estimated,
      synthesized: run.counts,
      unmapped: run.unmapped,
      cells: run.cells,
    };
    if (values.json) {
      io.out(JSON.stringify(summary, null, 2));
      return 0;
    }
    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const lines = [
      `design       ${output}: ${design.stages.length} stages, ${summary.folding} on ${device.id} at ${clockMHz} MHz (${est.fps.toFixed(1)} FPS estimated)`,
      `synthesis    ${run.yosysVersion.split(' (')[0]} ${summary.synthesis}: ${run.seconds.toFixed(1)} s (pre-place-and-route; not the vendor tool's numbers)`,
      `             ${'estimated'.padStart(12)} ${'synthesized'.padStart(12)}`,
      `LUT (${info.lutUnit})  ${n(estimated.lut).padStart(12)} ${n(run.counts.lut).padStart(12)}   (${n(run.counts.lutram)} of them distributed RAM)`,
      `FF           ${n(estimated.ff).padStart(12)} ${n(run.counts.ff).padStart(12)}`,
      `DSP          ${n(estimated.dsp).padStart(12)} ${n(run.counts.dsp).padStart(12)}`,
      `BRAM (18 Kb) ${String(estimated.bram18).padStart(12)} ${String(run.counts.bram18).padStart(12)}`,
    ];
    if (info.vendorMultiplier) lines.push(`note         products the estimate puts on DSPs are ${info.vendorMultiplier === 'gowin' ? 'Gowin MULT18X18' : 'Anlogic EG_PHY_MULT18'} instances (Yosys infers no DSP for this family from *)`);
    if (Object.keys(run.unmapped).length) lines.push(`unmapped     cells no counting rule covers: ${JSON.stringify(run.unmapped)}`);
    io.out(lines.join('\n'));
    return 0;
  },
};

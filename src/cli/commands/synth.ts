import { join } from 'node:path';
import { badInput } from '../../core/errors.ts';
import { checkNumber, LIMITS } from '../../core/limits.ts';
import type { FoldObjective } from '../../core/hw/fold.ts';
import { emitAccelerator } from '../../core/rtl/design.ts';
import { FAMILIES, parseFamily, type SynthCounts } from '../../core/synth/families.ts';
import type { Command } from '../command.ts';
import { checkOutputDirectory, intOption } from '../io.ts';
import type { EngineName } from '../ort.ts';
import { synthesize } from '../synth-run.ts';
import { ACCELERATOR_OPTIONS, prepareAccelerator, requiredPaths } from './rtl.ts';

export const synthCommand: Command = {
  name: 'synth',
  summary: "Generate the accelerator and synthesize it with Yosys for a family (Xilinx 7-series, Gowin GW2A, Anlogic EG4): LUT / FF / DSP / BRAM next to the estimate (pre-place-and-route).",
  usage:
    'edgefold synth <model.onnx> --config <cfg.json> --family xilinx|gowin|anlogic -o <dir> [--device ID] [--clock MHz] [--auto-fold max-fps | --target-fps N] [--timeout 1800] [--hierarchy] [--data manifest.json] [--json]',
  options: {
    ...ACCELERATOR_OPTIONS,
    family: { type: 'string' },
    'target-fps': { type: 'string' },
    timeout: { type: 'string' },
    hierarchy: { type: 'boolean' },
  },
  async run([path], values, io) {
    const { configPath, output } = requiredPaths(values);
    if (!values.family) throw badInput('--family xilinx|gowin|anlogic is required.', 'family');
    let family;
    try {
      family = parseFamily(values.family as string);
    } catch (e) {
      throw badInput((e as Error).message, 'family');
    }
    const autoMode = values['auto-fold'] as string | undefined;
    if (autoMode !== undefined && autoMode !== 'max-fps') throw badInput(`--auto-fold takes "max-fps" (or use --target-fps N), got "${autoMode}".`, 'auto-fold');
    const targetFps = values['target-fps'] !== undefined ? checkNumber(Number(values['target-fps']), '--target-fps', LIMITS.range.targetFps) : undefined;
    if (autoMode && targetFps !== undefined) throw badInput('use either --auto-fold max-fps or --target-fps, not both.', 'auto-fold');
    const objective: FoldObjective | null = targetFps !== undefined ? { targetFps } : autoMode ? 'max-fps' : null;
    const timeoutS = intOption(values.timeout, 'timeout') ?? 1800;
    await checkOutputDirectory(output);
    const info = FAMILIES[family];
    // The family's own device unless one is named: the folding and the DSP choices are the device's.
    const withDevice = { ...values, device: (values.device as string | undefined) ?? info.device };
    const { device, clockMHz, est, folded, foldMessage, integer } = await prepareAccelerator(path, configPath, withDevice, objective, (values.engine ?? 'native') as EngineName);
    const design = emitAccelerator(integer.net, est, { images: 1, ...(info.vendorMultiplier ? { vendorMultiplier: info.vendorMultiplier } : {}) });
    const run = await synthesize(design.files, design.top, family, output, { timeoutMs: timeoutS * 1000, hierarchical: values.hierarchy === true });
    // --hierarchy: synthesized and estimated counts per engine kind (each engine instance is one module).
    let byKind: Record<string, { synthesized: SynthCounts; modules: number }> | undefined;
    if (run.modules) {
      const kindOf = new Map<string, string>();
      for (const st of design.stages) {
        kindOf.set(st.module.name, st.kind);
        for (const m of st.skip?.path ?? []) kindOf.set(m.name, m.name.startsWith('dwc_') ? 'width-converter' : 'fifo');
      }
      byKind = {};
      for (const [name, t] of Object.entries(run.modules)) {
        const k = kindOf.get(name) ?? (name === design.top ? 'top' : 'other');
        const e = (byKind[k] ??= { synthesized: { lut: 0, lutram: 0, ff: 0, dsp: 0, bram18: 0 }, modules: 0 });
        e.modules++;
        for (const q of Object.keys(e.synthesized) as (keyof SynthCounts)[]) e.synthesized[q] = Math.round((e.synthesized[q] + t.counts[q]) * 100) / 100;
      }
    }
    const estimated = { lut: Math.round(est.totals.lut), ff: est.totals.ff, dsp: est.totals.dsp, bram18: est.totals.bram18 };
    // Fit from synthesis: synthesized counts against the whole device (no budget margin, pre-P&R).
    const capacity = { lut: device.lut, ff: device.ff, dsp: device.dsp, bram18: device.bram18 };
    const synthUtilization = Object.fromEntries(
      (Object.keys(capacity) as (keyof typeof capacity)[]).map((k) => [k, capacity[k] ? Math.round((1000 * run.counts[k]) / capacity[k]!) / 1000 : null]),
    ) as Record<keyof typeof capacity, number | null>;
    const over = (Object.keys(synthUtilization) as (keyof typeof capacity)[]).filter((k) => (synthUtilization[k] ?? 0) > 1);
    const summary = {
      output: join(output),
      family,
      device: device.id,
      folding: folded ? `auto-fold ${targetFps !== undefined ? `target ${targetFps} FPS` : 'max-fps'}${foldMessage ? `: ${foldMessage}` : ''}` : 'config',
      clockMHz,
      fps: est.fps,
      layers: Object.fromEntries(est.layers.map((l) => [l.name, l.config])),
      yosys: run.yosysVersion,
      synthesis: `${values.hierarchy ? info.synthHierarchical : info.synth} -top ${design.top}`,
      seconds: run.seconds,
      lutUnit: info.lutUnit,
      estimated,
      estimatedUtilization: est.resources,
      fitsEstimated: est.fits,
      synthesized: run.counts,
      synthesizedUtilization: synthUtilization,
      fitsSynthesized: over.length === 0,
      unmapped: run.unmapped,
      ...(byKind ? { byKind } : {}),
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
    const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)} %`);
    lines.push(
      `fit          ${over.length === 0 ? 'yes' : `no (${over.join(', ')} over)`} from synthesis on ${device.id}: LUT ${pct(synthUtilization.lut)}, FF ${pct(synthUtilization.ff)}, DSP ${pct(synthUtilization.dsp)}, BRAM ${pct(synthUtilization.bram18)} of the device (estimate says ${est.fits === null ? 'unknown' : est.fits ? 'fits' : 'does not fit'})`,
    );
    if (info.vendorMultiplier) lines.push(`note         products the estimate puts on DSPs are ${info.vendorMultiplier === 'gowin' ? 'Gowin MULT18X18' : 'Anlogic EG_PHY_MULT18'} instances (Yosys infers no DSP for this family from *)`);
    for (const [k, v] of Object.entries(byKind ?? {})) lines.push(`by kind      ${k.padEnd(16)} ${String(v.modules).padStart(3)} modules: LUT ${n(v.synthesized.lut)}, FF ${n(v.synthesized.ff)}, DSP ${v.synthesized.dsp}, BRAM18 ${v.synthesized.bram18}`);
    if (Object.keys(run.unmapped).length) lines.push(`unmapped     cells no counting rule covers: ${JSON.stringify(run.unmapped)}`);
    io.out(lines.join('\n'));
    return 0;
  },
};

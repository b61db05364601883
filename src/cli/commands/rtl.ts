import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { badInput } from '../../core/errors.ts';
import { checkNumber, LIMITS } from '../../core/limits.ts';
import { designContext, evaluateDesign, type Design } from '../../core/design/design.ts';
import { getDevice } from '../../core/hw/devices.ts';
import { autoFold, type FoldObjective } from '../../core/hw/fold.ts';
import { validateFolding } from '../../core/hw/folding.ts';
import type { Estimate } from '../../core/hw/pipeline.ts';
import { emitAccelerator, requantBiasWidths } from '../../core/rtl/design.ts';
import type { Command, ParsedValues } from '../command.ts';
import { checkOutputDirectory, intOption, readDataset, readJsonFile, readModelArg } from '../io.ts';
import { loadOrt, type EngineName } from '../ort.ts';
import { buildIntegerDesign, referenceRun } from '../rtl-flow.ts';
import { simulate, writeDesign, type Simulator } from '../rtl-sim.ts';
import { customDevices, parseConfig } from './estimate.ts';

/** What `rtl` and `synth` build before emitting: the model, device, folding (estimate) and integer network. */
/** Options `rtl` and `synth` share: the design, device, folding and data. */
export const ACCELERATOR_OPTIONS: Command['options'] = {
  config: { type: 'string', short: 'c' },
  output: { type: 'string', short: 'o' },
  device: { type: 'string' },
  'device-file': { type: 'string' },
  clock: { type: 'string' },
  'auto-fold': { type: 'string' },
  budget: { type: 'string' },
  data: { type: 'string' },
  engine: { type: 'string' },
  json: { type: 'boolean' },
};

/** --config and -o, both required. */
export function requiredPaths(values: ParsedValues): { configPath: string; output: string } {
  const configPath = values.config as string | undefined;
  const output = values.output as string | undefined;
  if (!configPath) throw badInput('--config <cfg.json> (a deployment or compression config with quant settings) is required.', 'config');
  if (!output) throw badInput('-o <dir> is required.', 'output');
  return { configPath, output };
}

/** `objective`: auto-fold to it; null: the config's folding, or auto-fold at max FPS when the config has none. */
export async function prepareAccelerator(path: string, configPath: string, values: ParsedValues, objective: FoldObjective | null, engine: EngineName) {
  const { loaded } = await readModelArg(path);
  const cfg = parseConfig(await readJsonFile(configPath, 'config'), configPath);
  const bits = cfg.compression?.quant?.activationBits;
  if (!cfg.compression?.quant || bits === null || bits === undefined) {
    throw badInput('the accelerator needs a quantized design: the config must set quant.weightBits and quant.activationBits.', 'quant');
  }
  const device = getDevice((values.device as string | undefined) ?? cfg.device ?? 'XC7Z020', await customDevices(values['device-file']));
  const clockMHz = values.clock !== undefined ? checkNumber(Number(values.clock), '--clock', LIMITS.range.clockMHz) : (cfg.clockMHz ?? 100);
  const budget = values.budget !== undefined ? checkNumber(Number(values.budget), '--budget', LIMITS.range.budget) : (cfg.budget ?? 0.8);

  // The integer network first: the estimate counts the parameter memories it holds (requantiser bias widths).
  const ort = await loadOrt(engine);
  const integer = await buildIntegerDesign(loaded, cfg.compression!, await readDataset(values.data as string | undefined, 'calibration'), ort);

  // Folding: the config's, or the estimator's auto-fold at max FPS when it has none (or when asked).
  const design: Design = { compression: cfg.compression!, hardware: { device: device.id, clockMHz, budget, layers: cfg.folding } };
  const metrics = evaluateDesign(designContext(loaded), design, [device], requantBiasWidths(integer.net));
  validateFolding(metrics.hwLayers, cfg.folding);
  const folded = objective !== null || Object.keys(cfg.folding).length === 0;
  const fold = folded ? autoFold(metrics.hwLayers, device, clockMHz, { budget, objective: objective ?? 'max-fps' }) : null;
  const est: Estimate = fold ? fold.estimate : metrics.estimate;
  return { loaded, cfg, device, clockMHz, est, folded, foldMessage: fold?.message, integer, ort };
}

export const rtlCommand: Command = {
  name: 'rtl',
  summary: 'Generate the streaming accelerator as Verilog-2005 (engines, top, weights, testbench, README); optionally simulate it against the integer reference.',
  usage:
    'edgefold rtl <model.onnx> --config <cfg.json> -o <dir> [--device XC7Z020] [--clock MHz] [--auto-fold max-fps] [--images 8] [--simulate iverilog|verilator] [--data manifest.json] [--engine wasm|native] [--json]',
  options: {
    ...ACCELERATOR_OPTIONS,
    images: { type: 'string' },
    simulate: { type: 'string' },
  },
  async run([path], values, io) {
    const { configPath, output } = requiredPaths(values);
    await checkOutputDirectory(output);
    const engine = (values.engine ?? 'native') as EngineName;
    if (engine !== 'wasm' && engine !== 'native') throw badInput(`--engine must be "wasm" or "native", got "${engine}".`, 'engine');
    const simulator = values.simulate as Simulator | undefined;
    if (simulator !== undefined && simulator !== 'iverilog' && simulator !== 'verilator') throw badInput(`--simulate must be "iverilog" or "verilator", got "${simulator}".`, 'simulate');
    const autoMode = values['auto-fold'] as string | undefined;
    if (autoMode !== undefined && autoMode !== 'max-fps') throw badInput(`--auto-fold takes "max-fps", got "${autoMode}".`, 'auto-fold');
    const images = intOption(values.images, 'images') ?? 8;
    if (images > 10_000) throw badInput('--images must be at most 10000.', 'images');

    const { device, clockMHz, est, folded, integer, ort } = await prepareAccelerator(path, configPath, values, autoMode !== undefined ? 'max-fps' : null, engine);
    const manifest = values.data as string | undefined;
    const reference = await referenceRun(integer, await readDataset(manifest, 'test'), images, ort);
    const accelerator = emitAccelerator(integer.net, est, { images: reference.inputs.length });
    await writeDesign(accelerator, output, reference.inputs);
    await writeFile(join(output, 'expected_logits.txt'), reference.logits.map((l) => Array.from(l).join('\n')).join('\n') + '\n');

    const summary: Record<string, unknown> = {
      output,
      folding: folded ? 'auto-fold max-fps' : 'config',
      device: device.id,
      clockMHz,
      stages: accelerator.stages.length,
      files: Object.keys(accelerator.files).length + 2,
      estimate: { cyclesPerFrame: est.maxCycles, latencyCycles: est.latency.cycles, fps: est.fps },
      images: reference.inputs.length,
      top1: {
        reference: reference.referenceTop1.filter((t, i) => t === reference.labels[i]).length / reference.labels.length,
        onnx: reference.onnxTop1.filter((t, i) => t === reference.labels[i]).length / reference.labels.length,
        agreement: reference.referenceTop1.filter((t, i) => t === reference.onnxTop1[i]).length / reference.labels.length,
      },
      notes: [...integer.net.notes, ...accelerator.notes],
    };
    let code = 0;
    if (simulator) {
      const sim = await simulate(accelerator, output, reference.inputs.length, simulator);
      const exact = sim.logits.filter((l, i) => l.length === reference.logits[i]?.length && l.every((v, j) => v === reference.logits[i][j])).length;
      summary.simulation = {
        simulator,
        imagesCompared: sim.logits.length,
        bitExact: exact,
        steadyCyclesPerFrame: sim.steadyInterval,
        estimatedCyclesPerFrame: est.maxCycles,
        intervalError: sim.steadyInterval === null ? null : sim.steadyInterval / est.maxCycles - 1,
        firstFrameLatencyCycles: sim.firstFrameLatency,
        estimatedLatencyCycles: est.latency.cycles,
        compileSeconds: sim.compileSeconds,
        runSeconds: sim.runSeconds,
      };
      if (exact !== reference.inputs.length) code = 1;
    }
    if (values.json) {
      io.out(JSON.stringify(summary, null, 2));
      return code;
    }
    const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
    const t = summary.top1 as { reference: number; onnx: number; agreement: number };
    const lines = [
      `accelerator  ${output}: ${accelerator.stages.length} stages, top module ${accelerator.top} (README.md says how to simulate and synthesize)`,
      `folding      ${summary.folding} on ${device.id} at ${clockMHz} MHz: ${est.maxCycles} cycles per frame (${est.fps.toFixed(1)} FPS estimated), first-frame latency ${est.latency.cycles} cycles estimated`,
      `test images  ${reference.inputs.length} in input.hex; integer reference top-1 ${pct(t.reference)}, quantized ONNX top-1 ${pct(t.onnx)}, same class on ${pct(t.agreement)}`,
    ];
    for (const n of [...integer.net.notes, ...accelerator.notes]) lines.push(`note         ${n}`);
    if (summary.simulation) {
      const s = summary.simulation as { bitExact: number; imagesCompared: number; steadyCyclesPerFrame: number | null; intervalError: number | null; firstFrameLatencyCycles: number; runSeconds: number };
      lines.push(
        `simulation   ${simulator}: ${s.bitExact} of ${reference.inputs.length} images bit-exact with the integer reference; ` +
          `${s.steadyCyclesPerFrame === null ? 'one image (no steady state)' : `${s.steadyCyclesPerFrame.toFixed(1)} cycles per frame (${(100 * (s.intervalError ?? 0)).toFixed(2)} % vs the estimate)`}; ` +
          `first-frame latency ${s.firstFrameLatencyCycles} cycles (estimate ${est.latency.cycles}); ${s.runSeconds.toFixed(1)} s`,
      );
    }
    io.out(lines.join('\n'));
    return code;
  },
};

import { DEFAULT_RECOVERY, defaultDesign, designContext, type Design } from '../../core/design/design.ts';
import { searchFrontier, type FrontierTarget } from '../../core/design/frontier.ts';
import { localFrontierMeasure } from '../../core/design/frontier-measure.ts';
import { badInput } from '../../core/errors.ts';
import { evaluate } from '../../core/eval/evaluate.ts';
import { createOrtRunner } from '../../core/eval/ort-runner.ts';
import { getDevice } from '../../core/hw/devices.ts';
import { checkNumber, LIMITS } from '../../core/limits.ts';
import { parseSweepResult, sha256Hex } from '../../core/sensitivity/index.ts';
import type { Command } from '../command.ts';
import { intOption, readDataset, readJsonFile, readModelArg, table } from '../io.ts';
import { loadOrt, type EngineName } from '../ort.ts';

const pct = (x: number) => (100 * x).toFixed(2);

function numbers(value: unknown, name: string): number[] {
  const list = String(value ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!list.length || list.length > 12 || list.some((v) => !Number.isFinite(v) || v < 0)) throw badInput(`--${name} takes 1 to 12 numbers >= 0 separated by commas, got "${String(value)}".`, name);
  return list;
}

/**
 * The joint search of the explorer (src/core/design/frontier.ts) on the command line: allocate,
 * fold and measure at several targets, the same core function and the same measurement steps.
 */
export const frontierCommand: Command = {
  name: 'frontier',
  summary: 'Joint search: allocate prune ratios and bits from a sweep, fold, and measure designs at several targets (max FPS within X pp, or min resources at F FPS).',
  usage:
    'edgefold frontier <model.onnx> --sweep <results.json> --targets 0.5,1,2 [--kind max-fps|min-resources] [--max-drop PP (min-resources)] [--reconstruct] [--steps N] ' +
    '[--data <manifest.json>] [--limit N] [--calib-limit N] [--device ID] [--clock MHz] [--budget 0.8] [--engine wasm|native] [--json]',
  options: {
    sweep: { type: 'string' },
    targets: { type: 'string' },
    kind: { type: 'string' },
    'max-drop': { type: 'string' },
    reconstruct: { type: 'boolean' },
    steps: { type: 'string' },
    data: { type: 'string' },
    limit: { type: 'string' },
    'calib-limit': { type: 'string' },
    device: { type: 'string' },
    clock: { type: 'string' },
    budget: { type: 'string' },
    engine: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run([path], values, io) {
    if (!values.sweep) throw badInput('--sweep <results.json> is required (write one with "edgefold sensitivity <model> -o results.json").', 'sweep');
    if (values.targets === undefined) throw badInput('--targets is required: drops in pp (max-fps) or FPS values (min-resources), e.g. --targets 0.5,1,2.', 'targets');
    const kind = (values.kind ?? 'max-fps') as FrontierTarget['kind'];
    if (kind !== 'max-fps' && kind !== 'min-resources') throw badInput(`--kind must be "max-fps" or "min-resources", got "${String(kind)}".`, 'kind');
    const list = numbers(values.targets, 'targets');
    const bound = values['max-drop'] === undefined ? 1 : numbers(values['max-drop'], 'max-drop')[0];
    const targets: FrontierTarget[] = kind === 'max-fps' ? list.map((x) => ({ kind, maxDropPp: x })) : list.map((f) => ({ kind, minFps: f, maxDropPp: bound }));
    const engine = (values.engine ?? 'wasm') as EngineName;
    if (engine !== 'wasm' && engine !== 'native') throw badInput(`--engine must be "wasm" or "native", got "${engine}".`, 'engine');
    const limit = intOption(values.limit, 'limit') ?? 1000;
    const calibLimit = intOption(values['calib-limit'], 'calib-limit');
    const steps = intOption(values.steps, 'steps') ?? 3;

    const { bytes, loaded } = await readModelArg(path);
    const sweep = parseSweepResult(await readJsonFile(values.sweep as string, 'sweep'), values.sweep as string);
    const warnings: string[] = [];
    if ((await sha256Hex(bytes)) !== sweep.model.hash) warnings.push('the sweep was measured on a different file (model hash differs); layer names must still match.');
    const base = defaultDesign();
    const design: Design = {
      ...base,
      hardware: {
        ...base.hardware,
        ...(values.device !== undefined ? { device: getDevice(String(values.device)).id } : {}),
        ...(values.clock !== undefined ? { clockMHz: checkNumber(Number(values.clock), '--clock', LIMITS.range.clockMHz) } : {}),
        ...(values.budget !== undefined ? { budget: checkNumber(Number(values.budget), '--budget', LIMITS.range.budget) } : {}),
      },
      recovery: { ...DEFAULT_RECOVERY, reconstruct: !!values.reconstruct },
    };

    const ort = await loadOrt(engine);
    const manifest = values.data as string | undefined;
    const evaluation = await readDataset(manifest, 'test');
    const calibrationAll = await readDataset(manifest, 'calibration');
    const size = calibrationAll.shape[0] * calibrationAll.shape[1] * calibrationAll.shape[2];
    const calibration = calibLimit && calibLimit < calibrationAll.count
      ? { ...calibrationAll, count: calibLimit, pixels: calibrationAll.pixels.subarray(0, calibLimit * size), labels: calibrationAll.labels.subarray(0, calibLimit) }
      : calibrationAll;
    const inputShape = loaded.summary.inputs[0].shape;
    const runner = await createOrtRunner(ort, bytes);
    const float = await evaluate(runner, evaluation, inputShape, { limit, batchSize: 250 }).finally(() => runner.release());
    const result = await searchFrontier(
      { ctx: designContext(loaded), sweep, design, baseline: { top1: float.top1, n: float.n }, targets },
      { measure: localFrontierMeasure({ ort, modelBytes: bytes, inputShape, evaluation, calibration, limit }) },
      { maxAttempts: steps, onProgress: values.json ? undefined : (p) => io.err(`target ${p.target + 1}/${p.targets}, step ${p.attempt + 1}: ${p.message}`) },
    );

    if (values.json) {
      io.out(
        JSON.stringify(
          {
            model: loaded.summary.name,
            baseline: { top1: float.top1, n: float.n, provenance: 'measured' },
            recovery: design.recovery!.reconstruct ? 'reconstruct' : 'none',
            measurements: result.measurements,
            points: result.points.map(({ allocation, ...p }) => ({ ...p, allocationSteps: allocation.steps, provenance: { top1: 'measured', predicted: 'sweep curves', hardware: 'estimated' } })),
            front: result.front.map((p) => result.points.indexOf(p)),
            warnings,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    io.out(
      [
        `float     top-1 ${pct(float.top1)} % measured on ${float.n} images; designs measured ${design.recovery!.reconstruct ? 'after reconstruction' : 'without recovery'}`,
        table(
          ['target', 'met', 'top-1 measured', 'no recovery', 'predicted', 'FPS', 'LUT', 'DSP', 'BRAM18', 'steps'],
          result.points.map((p) => [
            p.label,
            p.met ? 'yes' : 'no',
            `${pct(p.measured.top1)} %`,
            p.measured.rawTop1 === undefined ? '-' : `${pct(p.measured.rawTop1)} %`,
            `${pct(p.predicted.top1)} %`,
            p.fps.toFixed(1),
            String(Math.round(p.lut)),
            String(p.dsp),
            String(p.bram18),
            String(p.attempts.length),
          ]),
          new Set([2, 3, 4, 5, 6, 7, 8, 9]),
        ),
        `${result.measurements} designs measured; front (not beaten in both top-1 and FPS): ${result.front.map((p) => p.label).join('; ')}`,
        ...warnings.map((w) => `warning: ${w}`),
      ].join('\n'),
    );
    return 0;
  },
};

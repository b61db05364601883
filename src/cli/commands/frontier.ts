import { DEFAULT_RECOVERY, defaultDesign, designContext, type Design } from '../../core/design/design.ts';
import { searchFrontier, type FrontierProgress, type FrontierResult, type FrontierTarget } from '../../core/design/frontier.ts';
import { localFrontierMeasure } from '../../core/design/frontier-measure.ts';
import { badInput, isAbortError } from '../../core/errors.ts';
import { evaluate, type EvalResult } from '../../core/eval/evaluate.ts';
import { createOrtRunner } from '../../core/eval/ort-runner.ts';
import { getDevice } from '../../core/hw/devices.ts';
import { checkNumber, LIMITS } from '../../core/limits.ts';
import { parseSweepResult, sha256Hex } from '../../core/sensitivity/index.ts';
import type { Command } from '../command.ts';
import { intOption, readDataset, readJsonFile, readModelArg, table } from '../io.ts';
import { loadOrt, type EngineName } from '../ort.ts';
import { parseQueueUrl, readQueueCa } from '../queue/connection.ts';
import { searchFrontierOnQueue } from '../queue/design-jobs.ts';

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
    '[--data <manifest.json>] [--limit N] [--calib-limit N] [--device ID] [--clock MHz] [--budget 0.8] [--engine wasm|native] [--queue redis[s]://host:port [--queue-ttl S] [--queue-ca ca.pem]] [--json]',
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
    queue: { type: 'string' },
    'queue-ttl': { type: 'string' },
    'queue-ca': { type: 'string' },
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

    const queueUrl = values.queue === undefined ? undefined : parseQueueUrl(values.queue as string);
    const queueTtl = intOption(values['queue-ttl'], 'queue-ttl', 5);
    const queueCa = queueUrl ? await readQueueCa(values['queue-ca'] as string | undefined, queueUrl) : undefined;
    const manifest = values.data as string | undefined;
    const evaluation = await readDataset(manifest, 'test');
    const calibrationAll = await readDataset(manifest, 'calibration');
    const size = calibrationAll.shape[0] * calibrationAll.shape[1] * calibrationAll.shape[2];
    const calibration = calibLimit && calibLimit < calibrationAll.count
      ? { ...calibrationAll, count: calibLimit, pixels: calibrationAll.pixels.subarray(0, calibLimit * size), labels: calibrationAll.labels.subarray(0, calibLimit) }
      : calibrationAll;
    const inputShape = loaded.summary.inputs[0].shape;
    const input = { ctx: designContext(loaded), sweep, design, targets };
    const search = { maxAttempts: steps, onProgress: values.json ? undefined : (p: FrontierProgress) => io.err(`target ${p.target + 1}/${p.targets}, step ${p.attempt + 1}: ${p.message}`) };
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let float: EvalResult;
    let result: FrontierResult;
    let hosts: string[] | undefined;
    try {
      if (queueUrl) {
        ({ float, result, hosts } = await searchFrontierOnQueue(bytes, input, { evaluation, calibration, limit }, search, {
          url: queueUrl,
          engine,
          ownerTtlSeconds: queueTtl,
          ca: queueCa,
          signal: controller.signal,
          log: (line) => io.err(`frontier: ${line}`),
        }));
      } else {
        const ort = await loadOrt(engine);
        const runner = await createOrtRunner(ort, bytes);
        float = await evaluate(runner, evaluation, inputShape, { limit, batchSize: 250, signal: controller.signal }).finally(() => runner.release());
        result = await searchFrontier(
          { ...input, baseline: { top1: float.top1, n: float.n } },
          { measure: localFrontierMeasure({ ort, modelBytes: bytes, inputShape, evaluation, calibration, limit }) },
          { ...search, signal: controller.signal },
        );
      }
    } catch (error) {
      if (isAbortError(error)) {
        io.err('edgefold frontier: cancelled.');
        return 130;
      }
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
    }

    if (values.json) {
      io.out(
        JSON.stringify(
          {
            format: 'edgefold-frontier',
            version: 1,
            model: loaded.summary.name,
            modelSha256: await sha256Hex(bytes),
            engine,
            data: { name: float.dataset, split: float.split, n: float.n },
            // The machines whose workers measured the designs (a --queue run only).
            ...(hosts ? { hosts } : {}),
            baseline: { top1: float.top1, n: float.n, provenance: 'measured' },
            recovery: design.recovery!.reconstruct ? 'reconstruct' : 'none',
            measurements: result.measurements,
            points: result.points.map((p) => ({ ...p, allocationSteps: p.allocation.steps, provenance: { top1: 'measured', predicted: 'sweep curves', hardware: 'estimated' } })),
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
        ...(hosts ? [`measured through the job queue on ${hosts.length} host${hosts.length === 1 ? '' : 's'}: ${hosts.join(', ')}`] : []),
        `${result.measurements} designs measured; front (not beaten in both top-1 and FPS): ${result.front.map((p) => p.label).join('; ')}`,
        ...warnings.map((w) => `warning: ${w}`),
      ].join('\n'),
    );
    return 0;
  },
};

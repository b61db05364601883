import { applyConfig } from '../../core/config/compression.ts';
import { badInput } from '../../core/errors.ts';
import { evaluate } from '../../core/eval/evaluate.ts';
import { createOrtRunner } from '../../core/eval/ort-runner.ts';
import { decodeModel } from '../../core/onnx/model.ts';
import { allocate, parseSweepResult, sha256Hex } from '../../core/sensitivity/index.ts';
import type { Command } from '../command.ts';
import { checkOutputPath, readDataset, readJsonFile, readModelArg, table, formatCount, writeOutputFile } from '../io.ts';
import { loadOrt, type EngineName } from '../ort.ts';

const pct = (x: number) => (100 * x).toFixed(2);

function positive(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(String(value).replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw badInput(`--${name} must be a positive number, got "${value}".`, name);
  return n;
}

export const allocateCommand: Command = {
  name: 'allocate',
  summary: 'Choose per-group prune ratios and per-layer weight bits from a sensitivity sweep, write the compression config, and measure it.',
  usage: 'edgefold allocate <model.onnx> --sweep <results.json> (--max-drop PP | --target-macs N | --target-params N) [--no-prune] [--no-bits] [--no-measure] [-o cfg.json] [--json]',
  options: {
    sweep: { type: 'string' },
    'max-drop': { type: 'string' },
    'target-macs': { type: 'string' },
    'target-params': { type: 'string' },
    'no-prune': { type: 'boolean' },
    'no-bits': { type: 'boolean' },
    'no-measure': { type: 'boolean' },
    engine: { type: 'string' },
    data: { type: 'string' },
    output: { type: 'string', short: 'o' },
    json: { type: 'boolean' },
  },
  async run([path], values, io) {
    if (!values.sweep) throw badInput('--sweep <results.json> is required (write one with "edgefold sensitivity <model> -o results.json").', 'sweep');
    const maxDropPp = positive(values['max-drop'], 'max-drop');
    const targetMacs = positive(values['target-macs'], 'target-macs');
    const targetParams = positive(values['target-params'], 'target-params');
    if (maxDropPp === undefined && targetMacs === undefined && targetParams === undefined) throw badInput('Give --max-drop (percentage points), --target-macs or --target-params.', 'max-drop');
    const engine = (values.engine ?? 'wasm') as EngineName;
    await checkOutputPath(values.output as string | undefined);
    const { bytes, loaded } = await readModelArg(path);
    const sweep = parseSweepResult(await readJsonFile(values.sweep as string, 'sweep'), values.sweep as string);
    const warnings: string[] = [];
    if ((await sha256Hex(bytes)) !== sweep.model.hash) warnings.push(`the sweep was measured on a different file (model hash differs); layer names must still match.`);
    const result = allocate(
      sweep,
      { maxDrop: maxDropPp === undefined ? undefined : maxDropPp / 100, targetMacs, targetParams },
      { prune: !values['no-prune'], bits: !values['no-bits'] },
    );
    const model = decodeModel(bytes);
    const applied = applyConfig(model, result.config);
    let measured: { top1: number; n: number; ci95: [number, number] } | undefined;
    if (!values['no-measure']) {
      const data = await readDataset(values.data as string | undefined, sweep.data.split);
      const runner = await createOrtRunner(await loadOrt(engine), applied.bytes);
      try {
        const r = await evaluate(runner, data, loaded.summary.inputs[0].shape, { limit: sweep.data.n, batchSize: sweep.settings.batchSize });
        measured = { top1: r.top1, n: r.n, ci95: r.ci95 };
      } finally {
        await runner.release();
      }
    }
    const output = values.output as string | undefined;
    if (output) await writeOutputFile(output, JSON.stringify(result.config, null, 2) + '\n');
    const summary = {
      target: { maxDrop: maxDropPp === undefined ? null : maxDropPp / 100, targetMacs: targetMacs ?? null, targetParams: targetParams ?? null },
      met: result.met,
      config: result.config,
      baseline: { top1: sweep.baseline.top1, macs: applied.report.before.macs, params: applied.report.before.params, weightMemoryBits: applied.report.before.weightMemoryBits },
      predicted: { top1: result.prediction.top1, drop: result.prediction.drop, macs: result.predicted.macs, params: result.predicted.params },
      after: { macs: applied.report.after.macs, params: applied.report.after.params, weightMemoryBits: applied.report.after.weightMemoryBits, bytes: applied.report.after.bytes },
      measured: measured ?? null,
      warnings: [...warnings, ...result.prediction.warnings],
    };
    if (values.json) {
      io.out(JSON.stringify(summary, null, 2));
      return 0;
    }
    const rows = [
      ...Object.entries(result.config.layers ?? {})
        .filter(([, l]) => l.prune || l.weightBits !== undefined)
        .map(([name, l]) => [name, l.prune ? `ratio ${l.prune.ratio}` : '', l.weightBits !== undefined ? `${l.weightBits} bits` : '']),
    ];
    io.out(
      [
        `target     ${[maxDropPp !== undefined ? `drop <= ${maxDropPp} pp` : '', targetMacs ? `MACs <= ${formatCount(targetMacs)}` : '', targetParams ? `params <= ${formatCount(targetParams)}` : ''].filter(Boolean).join(', ')}${result.met ? '' : '  (NOT reached within the swept settings)'}`,
        rows.length ? table(['layer', 'prune', 'weights'], rows) : '(nothing to change)',
        result.config.quant ? `other quantized layers: ${result.config.quant.weightBits} bits (${result.config.quant.granularity}, ${result.config.quant.scale}, ${result.config.quant.rounding})` : '',
        `MACs       ${formatCount(applied.report.before.macs)} -> ${formatCount(applied.report.after.macs)}`,
        `params     ${formatCount(applied.report.before.params)} -> ${formatCount(applied.report.after.params)}`,
        `weights    ${formatCount(Math.round(applied.report.before.weightMemoryBits / 8))} -> ${formatCount(Math.round(applied.report.after.weightMemoryBits / 8))} bytes`,
        `top-1      baseline ${pct(sweep.baseline.top1)} %, predicted ${pct(result.prediction.top1)} %` +
          (measured ? `, measured ${pct(measured.top1)} % (n = ${measured.n}, 95 % CI ${pct(measured.ci95[0])}-${pct(measured.ci95[1])})` : ''),
        ...summary.warnings.map((w) => `warning: ${w}`),
        output ? `wrote ${output}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    return 0;
  },
};

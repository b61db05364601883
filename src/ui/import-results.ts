/**
 * Results measured outside the tab (by the CLI, or by `--queue` runs on job-queue workers: issue
 * 18) read into the app and shown as its own measurements are, each with its provenance: a
 * sensitivity sweep, a joint-search frontier (`edgefold frontier --json`) and a retraining run
 * (`edgefold retrain --json`). A file of another model is refused by name; on any error nothing changes.
 */
import { parseCompressionConfig } from '../core/config/compression.ts';
import { evaluateDesign, recoveryOf, type Design } from '../core/design/design.ts';
import { frontierProvenance, parseFrontierFile, parseRetrainFile, resultForModel, retrainProvenance, type FrontierFile, type RetrainFile } from '../core/design/result-files.ts';
import { checkFileSize, LIMITS, parseJsonText } from '../core/limits.ts';
import { importSweepFile } from './export.ts';
import { pointMetrics, useApp, type AppState, type DesignPoint, type OpenModel } from './store/index.ts';

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const newId = (prefix: string) => `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function importedPoint(state: AppState, model: OpenModel, design: Design, name: string, measured: { top1: number; ci95: [number, number]; n: number; rawTop1?: number }, recovery: string | null, provenance: string): DesignPoint {
  const metrics = pointMetrics(evaluateDesign(model.context, design, state.customDevices), null);
  return {
    id: newId('i'),
    name,
    createdAt: new Date().toISOString(),
    modelSha256: model.sha256,
    design: structuredClone(design),
    metrics: { ...metrics, measuredTop1: measured.top1, measuredCi95: measured.ci95, measuredImages: measured.n, rawTop1: measured.rawTop1 ?? null, recovery, provenance },
  };
}

/** A frontier file: its points fill the joint-search table and join the design points. */
function importFrontier(file: FrontierFile, fileName: string, state: AppState, model: OpenModel) {
  const provenance = frontierProvenance(file);
  const recovery = file.recovery === 'reconstruct' ? 'reconstruction' : null;
  // Built before anything changes: a design the app cannot estimate refuses the whole file.
  const points = file.points.map((p) => importedPoint(state, model, p.design, `${fileName}: ${p.label}${p.met ? '' : ' (not met)'}`, p.measured, recovery, provenance));
  useApp.setState((s) => ({
    frontier: {
      status: 'done',
      progress: null,
      modelSha256: model.sha256,
      targets: file.points.map((p) => p.target),
      points: file.points,
      measurements: file.measurements,
      recovered: file.recovery === 'reconstruct',
      baseline: file.baseline,
      forAllocation: false,
      imported: { fileName, provenance },
    },
    points: [...s.points, ...points],
    loadError: null,
  }));
}

/** A retraining file: the retrained design joins the design points with its measured accuracy before and after. */
function importRetrain(file: RetrainFile, fileName: string, state: AppState, model: OpenModel) {
  const r = file.recipe;
  const design: Design = { ...state.design, compression: parseCompressionConfig(r.config), recovery: { ...recoveryOf(state.design), reconstruct: r.reconstruct } };
  const a = file.accuracy!;
  const steps = [...(r.reconstruct ? ['reconstruction'] : []), ...(r.epochs > 0 ? [`${r.epochs} epoch${r.epochs === 1 ? '' : 's'} ${r.qat ? 'QAT' : 'fine-tuning'}${r.kd ? ' with KD' : ''}`] : [])];
  const name = `${fileName}: retrained ${pct(a.before.top1)} -> ${pct(a.after.top1)}`;
  const point = importedPoint(state, model, design, name, { top1: a.after.top1, ci95: a.after.ci95, n: a.after.n, rawTop1: (a.compressed ?? a.before).top1 }, steps.join(' + ') || null, retrainProvenance(file));
  useApp.setState((s) => ({ points: [...s.points, point], loadError: null }));
}

/** Reads a sweep, frontier or retraining JSON and shows it for the open model. */
export async function importResultFile(file: File | undefined): Promise<void> {
  if (!file) return;
  const state = useApp.getState();
  try {
    const model = state.model;
    if (!model) throw new Error('Open the model the results were measured on first.');
    checkFileSize(file.size, LIMITS.config.fileBytes, file.name);
    const json = parseJsonText(await file.text(), file.name) as { format?: unknown };
    const format = json && typeof json === 'object' ? json.format : undefined;
    if (format === 'edgefold-frontier') importFrontier(resultForModel(parseFrontierFile(json, file.name), model.sha256, file.name), file.name, state, model);
    else if (format === 'edgefold-retrain') importRetrain(resultForModel(parseRetrainFile(json, file.name), model.sha256, file.name), file.name, state, model);
    else if (format === 'edgefold-sensitivity') await importSweepFile(file);
    else throw new Error('it is not an edgefold result (a JSON from edgefold sensitivity, frontier --json or retrain --json).');
  } catch (error) {
    useApp.setState({ loadError: `Import of ${file.name} failed: ${error instanceof Error ? error.message : String(error)}` });
  }
}

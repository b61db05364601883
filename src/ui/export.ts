import { buildDeploymentConfig, designFromDeploymentConfig, finnFoldingConfig, parseDeploymentConfig } from '../core/config/deployment.ts';
import { checkFileSize, LIMITS, parseJsonText } from '../core/limits.ts';
import { acceleratorInWorker, compressInWorker } from '../workers-client/evaluator.ts';
import { parseSweepResult, sweepForModel, sweepToCsv, sweepToJson } from '../core/sensitivity/format.ts';
import { downloadBlob, downloadText } from './download.ts';
import { CALIBRATION_DATA, DEFAULT_DATA, appSession, calibrationData, currentAccuracy, currentRecoverySteps, deploymentDataset, evaluationData, useApp } from './store/index.ts';
import { activeSweep, deriveDesign } from './store/derived.ts';
import { ensureQuantisedWidths } from './store/quantised-widths.ts';

const baseName = (fileName: string) => fileName.replace(/\.onnx$/i, '');

function current() {
  const state = useApp.getState();
  const { metrics, error } = deriveDesign(state);
  if (!state.model || !metrics) throw new Error(error ?? 'No model is open.');
  return { state, model: state.model, metrics };
}

async function compressed() {
  const { state, model } = current();
  return compressInWorker({
    modelBytes: model.bytes,
    inputShape: model.loaded.summary.inputs[0]?.shape ?? [],
    config: state.design.compression,
    calibration: calibrationData(state),
  });
}

/** The deployment config of the current design, with weight scales and activation ranges from the compressed model. */
export async function currentDeploymentConfig() {
  const { state, model, metrics } = current();
  const { report } = await compressed();
  const own = currentAccuracy(state);
  const panelSteps = currentRecoverySteps(state);
  return buildDeploymentConfig({
    model: { name: model.loaded.summary.name, file: model.fileName, sha256: model.sha256, context: model.context },
    design: state.design,
    metrics,
    dataset: deploymentDataset(state) ?? { name: 'Fashion-MNIST', split: DEFAULT_DATA.split, images: state.evalLimit, calibrationSplit: CALIBRATION_DATA.split },
    quantReport: report.quant,
    accuracy: own ? { top1: own.top1, top5: own.top5, ci95: own.ci95, n: own.n, engine: `onnxruntime-web wasm, ${own.threads} thread(s)` } : null,
    customDevices: state.customDevices,
    // A step-by-step Recovery run of exactly this design (it includes the recipe's reconstruction
    // when that is on), else the design's own recovery (reconstruction, retraining) from its measurement.
    ...(panelSteps.length
      ? { recovery: panelSteps }
      : { recovery: own?.recovery ?? [], ...(own?.recovery?.length ? { recoveryRecipe: state.design.recovery, recoveredSha256: own.sha256 } : {}) }),
  });
}

async function guarded(work: () => Promise<void>) {
  try {
    await work();
  } catch (error) {
    useApp.setState({ loadError: `Export failed: ${error instanceof Error ? error.message : String(error)}` });
  }
}

export const exportDeploymentConfig = () =>
  guarded(async () => {
    const config = await currentDeploymentConfig();
    downloadText(JSON.stringify(config, null, 2), `${baseName(config.model.file)}.deployment.json`);
  });

export const exportCompressedModel = () =>
  guarded(async () => {
    const { model, state } = current();
    // The recovered model when the current design's measurement was of one (its weights were re-solved
    // or retrained): kept by its measurement key, so also after a reload.
    const recovered = await appSession.recoveredModel(state);
    const bytes = recovered?.bytes ?? (await compressed()).bytes;
    downloadBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), `${baseName(model.fileName)}.${recovered ? 'recovered' : 'compressed'}.onnx`);
  });

/** Test images the exported testbench streams (input.hex) with the reference's expected logits. */
const ACCELERATOR_TEST_IMAGES = 8;

/** The generated accelerator of the current design at its folding (docs/rtl.md), built in the evaluator worker. */
export const exportAccelerator = () =>
  guarded(async () => {
    await ensureQuantisedWidths(useApp.getState());
    const { state, model, metrics } = current();
    const { zip } = await acceleratorInWorker({
      modelBytes: model.bytes,
      inputShape: model.loaded.summary.inputs[0]?.shape ?? [],
      config: state.design.compression,
      calibration: calibrationData(state),
      data: evaluationData(state),
      estimate: metrics.estimate,
      images: ACCELERATOR_TEST_IMAGES,
    });
    downloadBlob(new Blob([zip], { type: 'application/zip' }), `${baseName(model.fileName)}.accelerator.zip`);
  });

export const exportFinnFolding = () =>
  guarded(async () => {
    const { model, metrics } = current();
    downloadText(JSON.stringify(finnFoldingConfig(metrics), null, 2), `${baseName(model.fileName)}.finn-folding.json`);
  });

/** Imports a deployment config: validated against the schema and the open model; on any error nothing changes. */
export async function importDeploymentConfigFile(file: File | undefined): Promise<void> {
  if (!file) return;
  const state = useApp.getState();
  try {
    if (!state.model) throw new Error('Open the model the config belongs to first.');
    checkFileSize(file.size, LIMITS.config.fileBytes, file.name);
    const json = parseJsonText(await file.text(), file.name);
    const imported = designFromDeploymentConfig(parseDeploymentConfig(json), state.model, state.customDevices);
    if (imported.customDevice) state.addCustomDevice(imported.customDevice);
    state.setEvalLimit(imported.evalLimit);
    state.loadDesign(imported.design);
    useApp.setState({ loadError: null });
  } catch (error) {
    useApp.setState({ loadError: `Import of ${file.name} failed: ${error instanceof Error ? error.message : String(error)}` });
  }
}

/**
 * Reads a sweep JSON (from `edgefold sensitivity`, also one run on the job queue's workers) and
 * shows it as the open model's sweep on the current data, with its own provenance.
 */
export async function importSweepFile(file: File | undefined): Promise<void> {
  if (!file) return;
  const state = useApp.getState();
  try {
    if (!state.model) throw new Error('Open the model the sweep was measured on first.');
    checkFileSize(file.size, LIMITS.config.fileBytes, file.name);
    const result = sweepForModel(parseSweepResult(parseJsonText(await file.text(), file.name), file.name), state.model.sha256, file.name);
    state.loadSweep(result);
    useApp.setState({ loadError: null });
  } catch (error) {
    useApp.setState({ loadError: `Import of ${file.name} failed: ${error instanceof Error ? error.message : String(error)}` });
  }
}

export const exportSweep = (format: 'csv' | 'json') =>
  guarded(async () => {
    const { state, model } = current();
    const sweep = activeSweep(state);
    if (!sweep) throw new Error('There is no sensitivity sweep of this model on the current data yet.');
    if (format === 'csv') downloadText(sweepToCsv(sweep), `${baseName(model.fileName)}.sensitivity.csv`, 'text/csv');
    else downloadText(sweepToJson(sweep), `${baseName(model.fileName)}.sensitivity.json`);
  });

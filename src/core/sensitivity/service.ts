/**
 * The per-worker sweep service: holds one onnxruntime module, the decoded model with its
 * analyses, the datasets and the calibration statistics, and runs tasks by job id with
 * cancellation. The browser worker exposes it with comlink; the CLI's worker threads drive it
 * with plain messages; tests call it directly.
 */
import type * as Ort from 'onnxruntime-web';
import { EdgefoldError } from '../errors.ts';
import type { Dataset } from '../eval/dataset.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import { decodeModel, encodeModel } from '../onnx/model.ts';
import { activationTaps, calibrate, type CalibrationData } from '../quant/calibrate.ts';
import { ortBatchSource } from '../quant/ort-calibration.ts';
import { runTask, type EngineContext, type TaskResult } from './engine.ts';
import { SweepModel } from './plan.ts';
import type { SweepSettings, SweepTask } from './types.ts';

export interface ServiceInit {
  modelBytes: Uint8Array;
  /** Identifies the model (its hash); a service keeps the last one it was given. */
  modelKey: string;
  data: Dataset;
  /** Split activation sweeps are calibrated on (needed only for them). */
  calibrationData?: Dataset;
}

export interface TaskJob {
  jobId: string;
  task: SweepTask;
  settings: SweepSettings;
  limit?: number;
  baselineTop1?: number;
}

export class SweepService {
  private model?: { key: string; sm: SweepModel };
  private data?: Dataset;
  private calibrationData?: Dataset;
  private calibration?: Promise<CalibrationData>;
  private calibrationKey = '';
  private readonly jobs = new Map<string, AbortController>();

  constructor(
    private readonly ort: OrtModule,
    private readonly sessionOptions: Ort.InferenceSession.SessionOptions = {},
    private readonly engineOptions: Pick<EngineContext, 'lateCuts'> = {},
  ) {}

  /** Loads the model and data once; calling it again with the same model key keeps the analyses. */
  init(init: ServiceInit): void {
    if (this.model?.key !== init.modelKey) {
      this.model = { key: init.modelKey, sm: new SweepModel(decodeModel(init.modelBytes)) };
      this.calibration = undefined;
    }
    this.data = init.data;
    if (init.calibrationData !== this.calibrationData) this.calibration = undefined;
    this.calibrationData = init.calibrationData;
  }

  private calibrationFor(settings: SweepSettings, sm: SweepModel): Promise<CalibrationData> {
    const images = settings.scheme.calibration.images;
    const key = `${images ?? 'all'}|${settings.batchSize}`;
    if (!this.calibration || this.calibrationKey !== key) {
      const data = this.calibrationData;
      if (!data) throw new EdgefoldError('bad-input', 'Activation sweeps need a calibration split (none was given).', 'calibration');
      const graph = sm.folded.graph;
      const inputShape = graph.shape(graph.inputs[0].name) ?? [];
      const source = ortBatchSource(this.ort, data, inputShape, { limit: images, batchSize: settings.batchSize });
      this.calibrationKey = key;
      this.calibration = calibrate(sm.folded.model, activationTaps(graph), source, encodeModel, { key: 'unpruned' });
      this.calibration.catch(() => (this.calibration = undefined));
    }
    return this.calibration;
  }

  async runTask(job: TaskJob, onProgress?: (work: number) => void): Promise<TaskResult> {
    if (!this.model || !this.data) throw new EdgefoldError('internal', 'The sweep worker was not initialised.');
    const controller = new AbortController();
    this.jobs.set(job.jobId, controller);
    try {
      const sm = this.model.sm;
      const calibration = job.task.units.some((u) => u.kind === 'act-bits') ? await this.calibrationFor(job.settings, sm) : undefined;
      return await runTask(
        { ort: this.ort, sm, settings: job.settings, data: this.data, limit: job.limit, calibration, sessionOptions: this.sessionOptions, ...this.engineOptions },
        job.task,
        { signal: controller.signal, onProgress, baselineTop1: job.baselineTop1 },
      );
    } finally {
      this.jobs.delete(job.jobId);
    }
  }

  cancel(jobId: string): void {
    this.jobs.get(jobId)?.abort();
  }
}

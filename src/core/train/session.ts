/** One onnxruntime session over a generated training graph: a batch in, loss, logits and gradients out. */
import type * as Ort from 'onnxruntime-web';
import type { OrtModule } from '../eval/ort-runner.ts';
import { encodeModel } from '../onnx/model.ts';
import { LABELS_INPUT, LOSS_OUTPUT, TEACHER_INPUT, type TrainingGraph } from './training-graph.ts';

export interface StepInput {
  /** Preprocessed batch, the model input's layout. */
  images: Float32Array;
  dims: number[];
  /** One-hot labels [batch, classes]. */
  labels: Float32Array;
  teacherLogits?: Float32Array;
  /** Current value of every trainable parameter, by name. */
  params: Map<string, Float32Array>;
  /** Current value of every fed constant (graph.fed), by name. */
  fed?: Map<string, Float32Array>;
}

export interface StepOutput {
  loss: number;
  logits: Float32Array;
  gradients: Map<string, Float32Array>;
  /** Per train-mode BatchNormalization node: batch mean and biased variance per channel. */
  batchStats: Map<string, { mean: Float32Array; variance: Float32Array }>;
  /** Per observed tensor: its max |x| over the batch. */
  observed: Map<string, number>;
}

export interface TrainingSession {
  graph: TrainingGraph;
  step(input: StepInput): Promise<StepOutput>;
  release(): Promise<void>;
}

export async function createTrainingSession(ort: OrtModule, graph: TrainingGraph, options: Ort.InferenceSession.SessionOptions = {}): Promise<TrainingSession> {
  const session = await ort.InferenceSession.create(encodeModel(graph.model), { graphOptimizationLevel: 'all', logSeverityLevel: 3, ...options });
  return {
    graph,
    async step(input) {
      const batch = input.dims[0];
      const feeds: Record<string, Ort.Tensor> = {
        [graph.input]: new ort.Tensor('float32', input.images, input.dims),
        [LABELS_INPUT]: new ort.Tensor('float32', input.labels, [batch, graph.classes]),
      };
      if (graph.distillation) {
        if (!input.teacherLogits) throw new Error('this training graph distils: teacher logits are required');
        feeds[TEACHER_INPUT] = new ort.Tensor('float32', input.teacherLogits, [batch, graph.classes]);
      }
      for (const p of graph.params) {
        const value = input.params.get(p.name);
        if (!value) throw new Error(`no value for parameter "${p.name}"`);
        feeds[p.name] = new ort.Tensor('float32', value, p.dims);
      }
      for (const f of graph.fed) {
        const value = input.fed?.get(f.name);
        if (!value) throw new Error(`no value for fed constant "${f.name}"`);
        feeds[f.name] = new ort.Tensor('float32', value, f.dims);
      }
      const out = await session.run(feeds);
      const take = (name: string) => Float32Array.from(out[name].data as Float32Array);
      const gradients = new Map(graph.params.map((p) => [p.name, take(p.gradient)]));
      const batchStats = new Map(graph.batchNorms.map((s) => [s.node, { mean: take(s.batchMean), variance: take(s.batchVar) }]));
      const observed = new Map([...graph.observed].map(([tensor, output]) => [tensor, Number((out[output].data as Float32Array)[0])]));
      const result = { loss: Number((out[LOSS_OUTPUT].data as Float32Array)[0]), logits: take(graph.logits), gradients, batchStats, observed };
      for (const t of Object.values(out)) t.dispose?.();
      return result;
    },
    release: () => session.release(),
  };
}

/**
 * Whether the evaluation data fits the open model's input. Third-party models (a keyword-spotting
 * net taking 49x10 MFCCs, a 320x240 face detector) do not take the bundled 1x28x28 Fashion-MNIST
 * images: then everything that needs no data (hardware estimates, folding, weight-only
 * compression, exports) works, and what needs data says which input shape to import instead of
 * failing in a worker.
 */
import { planInput } from '../core/eval/evaluate.ts';
import type { DataSliceState, OpenModel } from './state.ts';

/** Shape of the bundled Fashion-MNIST images, [C, H, W] (public/data/fmnist.json says the same once fetched). */
export const BUNDLED_SHAPE: [number, number, number] = [1, 28, 28];

export interface DataMismatch {
  /** The model's input as written in the file, e.g. "[1, 49, 10, 1]". */
  modelInput: string;
  /** What an imported dataset must become, in words. */
  needs: string;
  message: string;
}

/** Null when the data fits (or an imported dataset is used: its preprocessing is fitted to the model). */
export function dataMismatch(state: { model: OpenModel | null; dataset: Pick<DataSliceState['dataset'], 'source' | 'imported' | 'bundled'> }): DataMismatch | null {
  const { model, dataset } = state;
  if (!model || (dataset.source === 'imported' && dataset.imported)) return null;
  const input = model.loaded.summary.inputs[0]?.shape ?? [];
  const shape = dataset.bundled?.shape ?? BUNDLED_SHAPE;
  try {
    planInput(input, { shape, name: 'Fashion-MNIST' });
    return null;
  } catch {
    const modelInput = `[${input.map((d) => d ?? 'N').join(', ')}]`;
    const needs = describeInput(input);
    return {
      modelInput,
      needs,
      message: `This model takes input ${modelInput}; the bundled Fashion-MNIST images are ${shape.join('×')}. Import a dataset of ${needs} to measure accuracy, run sweeps or calibrate activations.`,
    };
  }
}

/**
 * Whether the user may turn model-wide activation quantization on: it calibrates on images of the
 * model's input, so a model without matching data (weights-only design) gets the control once
 * data of its input is imported. Turning activations off (float) is always allowed.
 */
export function activationControl(state: Parameters<typeof dataMismatch>[0]): { canQuantize: boolean; reason: string | null } {
  const mismatch = dataMismatch(state);
  if (!mismatch) return { canQuantize: true, reason: null };
  return { canQuantize: false, reason: `Quantizing activations calibrates on images of the model's input ${mismatch.modelInput}: import a dataset of ${mismatch.needs} in the Data tab first.` };
}

/** "49×10 inputs with 1 channel" from a 4-D shape in either layout; the raw shape otherwise. */
function describeInput(input: readonly (number | null)[]): string {
  if (input.length !== 4) return `inputs of shape [${input.map((d) => d ?? 'N').join(', ')}]`;
  const [, a, b, c] = input;
  // NHWC when the last dimension is a small channel count and the second is not.
  const nhwc = c !== null && c <= 4 && (a === null || a > 4);
  const [ch, h, w] = nhwc ? [c, a, b] : [a, b, c];
  return `${h ?? 'N'}×${w ?? 'N'} inputs with ${ch ?? 'N'} channel${ch === 1 ? '' : 's'}`;
}

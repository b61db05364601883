/**
 * Loss heads written into the training graph, with their gradient w.r.t. the logits:
 * - softmax cross-entropy, mean over the batch: dz = (softmax(z) - onehot) / N;
 * - knowledge distillation (Hinton et al. 2015): (1 - w) CE + w T^2 KL(softmax(t/T) || softmax(z/T)),
 *   whose gradient is (1 - w) dCE + w T (softmax(z/T) - softmax(t/T)) / N.
 */
import type { GraphBuilder } from './builder.ts';

export interface DistillationOptions {
  /** Weight of the distillation term, 0..1. */
  weight: number;
  /** Softmax temperature T > 0. */
  temperature: number;
}

export interface LossTensors {
  loss: string;
  dLogits: string;
}

export function lossHead(b: GraphBuilder, logits: string, labels: string, kd: DistillationOptions | undefined, teacher: string | undefined, lossName: string): LossTensors {
  const invN = b.inverseBatchCount(logits, 1);
  const sumAll = (x: string) => b.op('ReduceSum', [x], { keepdims: 0 });
  const ceTotal = b.op('Neg', [sumAll(b.mul(labels, b.op('LogSoftmax', [logits], { axis: 1 })))]);
  const ce = b.mul(ceTotal, invN);
  const dCe = b.mul(b.sub(b.op('Softmax', [logits], { axis: 1 }), labels), invN);
  if (!kd || !teacher || kd.weight === 0) {
    return { loss: b.opTo('Identity', [ce], lossName), dLogits: dCe };
  }
  const t = kd.temperature;
  const zt = b.scale(logits, 1 / t);
  const tt = b.scale(teacher, 1 / t);
  const pTeacher = b.op('Softmax', [tt], { axis: 1 });
  const kl = b.mul(sumAll(b.mul(pTeacher, b.sub(b.op('LogSoftmax', [tt], { axis: 1 }), b.op('LogSoftmax', [zt], { axis: 1 })))), invN);
  const loss = b.add(b.scale(ce, 1 - kd.weight), b.scale(kl, kd.weight * t * t));
  const dKd = b.mul(b.sub(b.op('Softmax', [zt], { axis: 1 }), pTeacher), invN);
  return { loss: b.opTo('Identity', [loss], lossName), dLogits: b.add(b.scale(dCe, 1 - kd.weight), b.scale(dKd, kd.weight * t)) };
}

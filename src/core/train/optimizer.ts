/**
 * Optimizers on Float32Arrays, with PyTorch's update rules (torch.optim.AdamW and SGD):
 * - AdamW: p -= lr wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *          p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)   (Loshchilov & Hutter 2019);
 * - SGD with momentum: g += wd p; buf = mu buf + g (buf = g at the first step); p -= lr buf.
 * Weight decay applies to parameters with `decay` set (weights, not biases or BN parameters).
 */
export type OptimizerName = 'adamw' | 'sgd';
export const OPTIMIZERS: readonly OptimizerName[] = ['adamw', 'sgd'];

export interface OptimizerOptions {
  name: OptimizerName;
  weightDecay: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface Optimizer {
  step(params: Map<string, Float32Array>, grads: Map<string, Float32Array>, lr: number): void;
}

export function createOptimizer(options: OptimizerOptions, decay: (name: string) => boolean): Optimizer {
  const state = new Map<string, { m: Float32Array; v?: Float32Array }>();
  let t = 0;
  if (options.name === 'adamw') {
    const b1 = options.beta1 ?? 0.9;
    const b2 = options.beta2 ?? 0.999;
    const eps = options.eps ?? 1e-8;
    return {
      step(params, grads, lr) {
        t++;
        const c1 = 1 - b1 ** t;
        const c2 = 1 - b2 ** t;
        for (const [name, p] of params) {
          const g = grads.get(name)!;
          let s = state.get(name);
          if (!s) state.set(name, (s = { m: new Float32Array(p.length), v: new Float32Array(p.length) }));
          const { m, v } = s as { m: Float32Array; v: Float32Array };
          const shrink = decay(name) ? 1 - lr * options.weightDecay : 1;
          for (let i = 0; i < p.length; i++) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            p[i] = p[i] * shrink - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
          }
        }
      },
    };
  }
  const mu = options.momentum ?? 0.9;
  return {
    step(params, grads, lr) {
      t++;
      for (const [name, p] of params) {
        const g = grads.get(name)!;
        let s = state.get(name);
        const first = !s;
        if (!s) state.set(name, (s = { m: new Float32Array(p.length) }));
        const wd = decay(name) ? options.weightDecay : 0;
        for (let i = 0; i < p.length; i++) {
          const gi = g[i] + wd * p[i];
          s.m[i] = first ? gi : mu * s.m[i] + gi;
          p[i] -= lr * s.m[i];
        }
      }
    },
  };
}

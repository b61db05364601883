/**
 * BatchNormalization over NCHW channels. 'train': normalised with the batch's mean and biased
 * variance (the forward is written out so the backward can use x-hat and 1/std; the batch
 * statistics are graph outputs so the trainer can update the running ones as PyTorch does).
 * 'frozen': the stored running statistics (an affine map per channel; only gamma/beta learn).
 */
import { attrFloat } from '../../graph/graph.ts';
import { staticDims, unsupported, type OpRule, type RuleContext } from './rule.ts';

function channelsOf(ctx: RuleContext) {
  const x = ctx.shape(ctx.node.inputs[0]);
  if (x.length < 2) throw unsupported(ctx.node, 'input must have a channel axis');
  const dims = staticDims(ctx.node, x);
  const axes = [0, ...Array.from({ length: x.length - 2 }, (_, i) => i + 2)];
  const perImage = dims.slice(1).reduce((a, d) => a * d, 1);
  const broadcast = [1, dims[0], ...Array<number>(x.length - 2).fill(1)];
  return { channels: dims[0], axes, perImage, broadcast };
}

export const batchNormRule: OpRule = {
  forward(ctx): Record<string, string> {
    const { b, node } = ctx;
    const [x, gamma, beta, mean, variance] = node.inputs;
    const eps = attrFloat(node, 'epsilon', 1e-5);
    const { axes, perImage, broadcast } = channelsOf(ctx);
    const g = b.reshape(gamma, broadcast);
    if (ctx.batchNorm === 'frozen') {
      const invStd = b.op('Reciprocal', [b.op('Sqrt', [b.add(b.reshape(variance, broadcast), b.float([eps]))])]);
      b.copy(node.proto, [x, gamma, beta, mean, variance], [node.outputs[0]]);
      // x-hat only feeds gamma's gradient: the backward writes it when gamma trains.
      return { invStd, scale: b.mul(g, invStd) };
    }
    const invCount = b.inverseBatchCount(x, perImage);
    const mu = b.mul(b.reduceSum(x, axes, true), invCount);
    const centred = b.sub(x, mu);
    const batchVar = b.mul(b.reduceSum(b.mul(centred, centred), axes, true), invCount);
    const invStd = b.op('Reciprocal', [b.op('Sqrt', [b.add(batchVar, b.float([eps]))])]);
    const xHat = b.mul(centred, invStd);
    b.opTo('Add', [b.mul(xHat, g), b.reshape(beta, broadcast)], node.outputs[0]);
    return { xHat, invStd, invCount, gamma: g, batchMean: mu, batchVar };
  },
  backward(ctx) {
    const { b, gradOut, needs, saved } = ctx;
    const dy = gradOut[0];
    if (!dy) return [];
    const { axes, broadcast } = channelsOf(ctx);
    const [x, , , mean] = ctx.node.inputs;
    const xHat = () => saved.xHat ?? b.mul(b.sub(x, b.reshape(mean, broadcast)), saved.invStd);
    // The sums are written only where used: beta's and gamma's gradients, and x's in train mode.
    const batchDx = needs[0] && ctx.batchNorm === 'train';
    const dBetaKeep = needs[2] || batchDx ? b.reduceSum(dy, axes, true) : '';
    const dGammaKeep = needs[1] || batchDx ? b.reduceSum(b.mul(dy, xHat()), axes, true) : '';
    const grads: (string | undefined)[] = [];
    if (needs[1]) grads[1] = b.reshape(dGammaKeep, [-1]);
    if (needs[2]) grads[2] = b.reshape(dBetaKeep, [-1]);
    if (batchDx) {
      // dx = gamma / std * (dy - mean(dy) - x_hat * mean(dy * x_hat)).
      const meanDy = b.mul(dBetaKeep, saved.invCount);
      const meanDyXhat = b.mul(dGammaKeep, saved.invCount);
      grads[0] = b.mul(b.mul(saved.gamma, saved.invStd), b.sub(b.sub(dy, meanDy), b.mul(saved.xHat, meanDyXhat)));
    } else if (needs[0]) grads[0] = b.mul(dy, saved.scale);
    return grads;
  },
};

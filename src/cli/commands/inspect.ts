import type { Command } from '../command.ts';
import { formatCount, formatShape, readModelArg, table } from '../io.ts';

const shorten = (name: string, max = 44) => (name.length > max ? '…' + name.slice(name.length - max + 1) : name);

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'Show a model summary and its layer table (kinds, shapes, params, MACs).',
  usage: 'edgefold inspect <model.onnx> [--json]',
  options: { json: { type: 'boolean' } },
  async run([path], values, io) {
    const { loaded } = await readModelArg(path);
    const { summary, layers } = loaded;
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            model: {
              name: summary.name,
              inputs: summary.inputs,
              outputs: summary.outputs,
              opset: summary.opset,
              irVersion: summary.irVersion,
              params: summary.params,
              macs: summary.macs,
              ops: summary.ops,
              opsConvention: 'ops = 2 x MACs',
              unsupportedOps: summary.unsupportedOps,
            },
            layers: layers.map((l) => ({
              name: l.name,
              op: l.op,
              kind: l.kind,
              inputShape: l.inputShape,
              outputShape: l.outputShape,
              kernel: l.kernel,
              stride: l.stride,
              groups: l.groups,
              params: l.params,
              macs: l.macs,
              ...(l.reason ? { reason: l.reason } : {}),
            })),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    io.out(
      [
        `model     ${summary.name}${summary.producer ? ` (${summary.producer})` : ''}`,
        `format    ONNX IR ${summary.irVersion}, opset ${summary.opset}`,
        `inputs    ${summary.inputs.map((i) => `${i.name} ${formatShape(i.shape)}`).join(', ')}`,
        `outputs   ${summary.outputs.map((o) => `${o.name} ${formatShape(o.shape)}`).join(', ')}`,
        `params    ${formatCount(summary.params)}`,
        `MACs      ${formatCount(summary.macs)}`,
        `ops       ${formatCount(summary.ops)} (ops = 2 x MACs)`,
        ...(summary.unsupportedOps.length ? [`unsupported operators: ${summary.unsupportedOps.join(', ')}`] : []),
        '',
        table(
          ['layer', 'op', 'kind', 'input', 'output', 'kernel', 'stride', 'groups', 'params', 'MACs'],
          layers.map((l) => [
            shorten(l.name),
            l.op,
            l.kind === 'unsupported' ? `unsupported (${l.reason})` : l.kind,
            formatShape(l.inputShape),
            formatShape(l.outputShape),
            l.kernel.join('x'),
            l.stride.join(','),
            String(l.groups),
            formatCount(l.params),
            formatCount(l.macs),
          ]),
          new Set([7, 8, 9]),
        ),
      ].join('\n'),
    );
    return 0;
  },
};

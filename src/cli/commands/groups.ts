import { analyzeChannels, PARAMETRIC } from '../../core/prune/index.ts';
import type { Command } from '../command.ts';
import { readModelArg, table } from '../io.ts';

const shorten = (name: string, max = 48) => (name.length > max ? '…' + name.slice(name.length - max + 1) : name);

export const groupsCommand: Command = {
  name: 'groups',
  summary: 'List the coupled channel groups pruning works on: members, sizes, and why a group cannot be pruned.',
  usage: 'edgefold groups <model.onnx> [--json]',
  options: { json: { type: 'boolean' } },
  async run([path], values, io) {
    const { loaded } = await readModelArg(path);
    const analysis = analyzeChannels(loaded.model);
    const groups = analysis.groups;
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            model: loaded.summary.name,
            groups: groups.map((g) => ({
              id: g.id,
              channels: g.size,
              prunable: g.prunable,
              reasons: g.reasons,
              producers: g.producers,
              members: g.members.map((m) => ({
                node: m.node,
                op: m.op,
                role: m.role,
                tensor: m.tensor,
                offset: m.offset,
                inner: m.inner,
                ...(m.input !== undefined ? { input: m.input, axis: m.axis } : {}),
              })),
              tensors: g.tensors,
            })),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    const prunable = groups.filter((g) => g.prunable);
    const lines = [
      `model     ${loaded.summary.name}`,
      `groups    ${groups.length} channel groups, ${prunable.length} prunable (${prunable.reduce((n, g) => n + g.size, 0)} prunable channels)`,
      '',
      table(
        ['group', 'channels', 'prunable', 'members (role: layer)'],
        groups.map((g) => [
          shorten(g.id),
          String(g.size),
          g.prunable ? 'yes' : 'no',
          g.members
            .filter((m) => PARAMETRIC.has(m.role))
            .map((m) => `${m.role}: ${shorten(m.node, 36)}${m.offset ? ` @${m.offset}` : ''}${m.inner > 1 ? ` x${m.inner}` : ''}`)
            .join('; '),
        ]),
        new Set([1]),
      ),
    ];
    const blocked = groups.filter((g) => !g.prunable);
    if (blocked.length) {
      lines.push('', 'not prunable:');
      for (const g of blocked) lines.push(`  ${shorten(g.id)} (${g.size}): ${g.reasons.join('; ')}`);
    }
    io.out(lines.join('\n'));
    return 0;
  },
};

import { DEVICES, lutFactor, type Device } from '../../core/hw/devices.ts';
import type { Command } from '../command.ts';
import { table } from '../io.ts';

const n = (v: number | null): string => (v === null ? 'unknown' : v.toLocaleString('en-US'));

function bramText(d: Device): string {
  return d.bram.length ? d.bram.map((b) => `${b.count} x ${b.blockKb} Kb`).join(' + ') : 'unknown';
}

export const devicesCommand: Command = {
  name: 'devices',
  summary: 'List the FPGA device catalog (resources, LUT size, DSP width, sources).',
  usage: 'edgefold devices [--json]',
  options: { json: { type: 'boolean' } },
  async run(_positionals, values, io) {
    if (values.json) {
      io.out(JSON.stringify({ devices: DEVICES.map((d) => ({ ...d, lutPerLut6: lutFactor(d) })) }, null, 2));
      return 0;
    }
    const rows = DEVICES.map((d) => [
      d.id,
      d.vendor,
      `${n(d.lut)} LUT${d.lutInputs}`,
      n(d.ff),
      d.dsp === null ? 'unknown' : `${n(d.dsp)}${d.dspMultiplier ? ` (${d.dspMultiplier[0]}x${d.dspMultiplier[1]})` : ''}`,
      bramText(d),
      n(d.bram18),
      n(d.uram),
      d.processNm === null ? 'unknown' : `${d.processNm} nm`,
      d.verified ? 'yes' : 'no',
    ]);
    io.out(
      [
        table(['id', 'vendor', 'LUT', 'FF', 'DSP (mult)', 'block RAM', 'RAMB18-eq', 'URAM', 'process', 'checked'], rows, new Set([3, 6, 7])),
        '',
        'LUT costs are computed for 6-input LUTs and converted: x1.6 to LUT4 (AMD UG474), x1.33 to LUT5; "unknown" budgets are not checked.',
        '"checked: no" = numbers from the team reference notes, not re-read from the vendor data sheet. Sources: edgefold devices --json.',
      ].join('\n'),
    );
    return 0;
  },
};

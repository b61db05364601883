/**
 * The design points table's columns, defined once for the table, its sorting and its CSV / JSON
 * export, so what a person sorts by is exactly what they export.
 */
import { formatCompact, formatPercent } from './format.ts';
import type { DesignDifference } from '../core/design/diff.ts';
import type { DesignPoint } from './store/types.ts';

export interface PointColumn {
  id: string;
  label: string;
  /** Unit or provenance shown in the header's tooltip. */
  title: string;
  value: (p: DesignPoint) => number | null;
  format: (v: number) => string;
}

const fixed = (digits: number) => (v: number) => v.toFixed(digits);

export const POINT_COLUMNS: PointColumn[] = [
  { id: 'top1', label: 'top-1', title: 'measured top-1, after the design\'s recovery when it has one', value: (p) => p.metrics.measuredTop1, format: (v) => formatPercent(v) },
  { id: 'rawTop1', label: 'raw top-1', title: 'measured top-1 without recovery (only when a recovery step ran)', value: (p) => p.metrics.rawTop1 ?? null, format: (v) => formatPercent(v) },
  { id: 'fps', label: 'FPS', title: 'frames per second, estimated by the pipeline model', value: (p) => p.metrics.fps, format: fixed(1) },
  { id: 'latencyMs', label: 'latency ms', title: 'first-frame latency in ms, estimated', value: (p) => p.metrics.latencyMs, format: fixed(3) },
  { id: 'lut', label: 'LUT', title: 'LUTs, estimated', value: (p) => p.metrics.lut, format: formatCompact },
  { id: 'ff', label: 'FF', title: 'flip-flops, estimated', value: (p) => p.metrics.ff, format: formatCompact },
  { id: 'dsp', label: 'DSP', title: 'DSP slices, estimated', value: (p) => p.metrics.dsp, format: String },
  { id: 'bram18', label: 'BRAM18', title: 'BRAM18 blocks, estimated', value: (p) => p.metrics.bram18, format: String },
  { id: 'powerW', label: 'power W', title: 'total power in W, estimated', value: (p) => p.metrics.powerW, format: fixed(2) },
  { id: 'gopsPerWatt', label: 'GOPS/W', title: 'giga-operations per second per watt, estimated', value: (p) => p.metrics.gopsPerWatt, format: fixed(1) },
  { id: 'params', label: 'params', title: 'parameters after pruning', value: (p) => p.metrics.params, format: formatCompact },
  { id: 'macs', label: 'MACs', title: 'multiply-accumulates per frame after pruning', value: (p) => p.metrics.macs, format: formatCompact },
];

export type SortOrder = { column: string; descending: boolean };

/** Points sorted by a column; points without a value go last whatever the direction. */
export function sortPoints(points: DesignPoint[], order: SortOrder | null): DesignPoint[] {
  if (!order) return points;
  const column = POINT_COLUMNS.find((c) => c.id === order.column);
  if (!column) return points;
  return [...points].sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    return order.descending ? y - x : x - y;
  });
}

const csvField = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** CSV with full-precision numbers (top-1 as a fraction), one row per point, empty where unmeasured. */
export function pointsToCsv(points: DesignPoint[]): string {
  const header = ['name', 'created', ...POINT_COLUMNS.map((c) => c.id), 'measuredImages', 'recovery', 'fits'];
  const rows = points.map((p) => [
    csvField(p.name),
    p.createdAt,
    ...POINT_COLUMNS.map((c) => {
      const v = c.value(p);
      return v === null ? '' : String(v);
    }),
    p.metrics.measuredImages === null ? '' : String(p.metrics.measuredImages),
    csvField(p.metrics.recovery ?? ''),
    p.metrics.fits === null ? '' : String(p.metrics.fits),
  ]);
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}

/** JSON with each point's metrics and its full design (restorable), and the model it was designed for. */
export function pointsToJson(points: DesignPoint[]): string {
  return JSON.stringify({ format: 'edgefold-design-points', version: 1, points }, null, 2);
}

/** How the compare view names a design setting (the layer table's column names). */
const SETTING_LABELS: Record<string, string> = {
  pe: 'PE',
  simd: 'SIMD',
  weightBits: 'W bits',
  activationBits: 'A bits',
  mulStyle: 'multipliers',
  memStyle: 'weight memory',
  'prune.keep': 'channels kept',
  'prune.ratio': 'prune ratio',
  'prune.roundTo': 'channels multiple of',
  clockMHz: 'clock (MHz)',
  budget: 'budget',
  device: 'device',
};

function settingValue(field: string, value: unknown): string {
  if (value === undefined) return '—';
  if (value === null) return field.endsWith('activationBits') ? 'float' : '—';
  if (field === 'budget' && typeof value === 'number') return formatPercent(value, 0);
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

/**
 * One compare-view line for a design difference: the layer by its table number (full name kept for
 * the tooltip), the setting by its column name, values as the table shows them ("float", "80 %").
 */
export function describeDifference(d: DesignDifference, tableNumber: ReadonlyMap<string, number>): { layer: string; title: string; setting: string; from: string; to: string } {
  const n = tableNumber.get(d.layer);
  return {
    layer: n === undefined ? d.layer : `#${n}`,
    title: d.layer,
    setting: SETTING_LABELS[d.field] ?? d.field,
    from: settingValue(d.field, d.a),
    to: settingValue(d.field, d.b),
  };
}

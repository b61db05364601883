import { memo, useLayoutEffect, useRef, useState } from 'react';
import { niceTicks, shortNumber } from './bar-scale.ts';

/**
 * A plain SVG bar chart for the charts that follow a slider (cycles per layer, resources). A
 * recharts bar chart re-rendered in 20-33 ms of main-thread script per update here (its store runs
 * its selectors in effects, then renders synchronously), and that task delayed the next key press
 * or drag move. These bars are a few dozen SVG elements: well under a millisecond to re-render.
 * Tooltips are the bars' own <title>s; everything is styled inline so "save as SVG / PNG" keeps it.
 */
export interface BarSeries {
  name: string;
  color: string;
}

export interface BarDatum {
  /** Category label on the axis (layer number, resource name). */
  label: string;
  /** Tooltip of the bar. */
  title: string;
  /** One value per series, stacked in series order. */
  values: number[];
  /** A colour for the whole bar instead of the series colours (e.g. the bottleneck). */
  color?: string;
}

export interface BarsSvgProps {
  data: BarDatum[];
  series: BarSeries[];
  height: number;
  /** Bars grow to the right, categories down the left side. */
  horizontal?: boolean;
  /** The value axis reaches at least this far (e.g. 100 %). */
  minMax?: number;
  unit?: string;
  /** A dashed line across the bars at this value (a budget). */
  reference?: { value: number; color: string };
  legend?: boolean;
  /** Title of the category axis. */
  categoryTitle?: string;
  /** Space for the value tick labels (vertical) or the category labels (horizontal). */
  axisWidth?: number;
  label: string;
}

const FONT = 10;
const TEXT = '#5a6272';
const GRID = '#dde2ea';

/** The element's content width, from a ResizeObserver (it runs after layout, so reading it forces none). */
function useWidth() {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

export function BarsSvg(props: BarsSvgProps) {
  const [ref, width] = useWidth();
  return (
    <div ref={ref} className="bars-svg" style={{ height: props.height }}>
      {width > 0 && <Bars {...props} width={width} />}
    </div>
  );
}

const Bars = memo(function Bars({ data, series, height, horizontal, minMax = 0, unit = '', reference, legend, categoryTitle, axisWidth, label, width }: BarsSvgProps & { width: number }) {
  const totals = data.map((d) => d.values.reduce((a, b) => a + Math.max(0, b), 0));
  const ticks = niceTicks(Math.max(minMax, ...totals, reference?.value ?? 0));
  const top = ticks[ticks.length - 1];
  const legendHeight = legend ? 14 : 0;
  const m = horizontal
    ? { left: axisWidth ?? 52, right: 24, top: 4 + legendHeight, bottom: 16 }
    : { left: axisWidth ?? 44, right: 8, top: 6 + legendHeight, bottom: categoryTitle ? 26 : 16 };
  const plotW = Math.max(1, width - m.left - m.right);
  const plotH = Math.max(1, height - m.top - m.bottom);
  const bandLength = (horizontal ? plotH : plotW) / Math.max(1, data.length);
  const barThickness = Math.max(1, bandLength * 0.8);
  const valueLength = horizontal ? plotW : plotH;
  const scale = (v: number) => (Math.max(0, v) / top) * valueLength;
  const fmt = (v: number) => `${shortNumber(v)}${unit}`;

  return (
    <svg className="chart-surface" width={width} height={height} role="img" aria-label={label} xmlns="http://www.w3.org/2000/svg" fontFamily="sans-serif" fontSize={FONT}>
      {legend && (
        <g>
          {series.map((s, i) => (
            <g key={s.name} transform={`translate(${m.left + i * 78},2)`}>
              <rect width={9} height={9} fill={s.color} />
              <text x={12} y={8.5} fill={TEXT}>
                {s.name}
              </text>
            </g>
          ))}
        </g>
      )}
      {/* value grid and ticks */}
      {ticks.map((t) => {
        const at = scale(t);
        return horizontal ? (
          <g key={t}>
            <line x1={m.left + at} x2={m.left + at} y1={m.top} y2={m.top + plotH} stroke={GRID} strokeDasharray="3 3" />
            <text x={m.left + at} y={height - 4} textAnchor="middle" fill={TEXT}>
              {fmt(t)}
            </text>
          </g>
        ) : (
          <g key={t}>
            <line x1={m.left} x2={m.left + plotW} y1={m.top + plotH - at} y2={m.top + plotH - at} stroke={GRID} strokeDasharray="3 3" />
            <text x={m.left - 4} y={m.top + plotH - at + 3.5} textAnchor="end" fill={TEXT}>
              {fmt(t)}
            </text>
          </g>
        );
      })}
      {data.map((d, i) => {
        const band = i * bandLength + (bandLength - barThickness) / 2;
        let offset = 0;
        const segments = d.values.map((v, s) => {
          const start = offset;
          offset += scale(v);
          const length = offset - start;
          const fill = d.color ?? series[s]?.color ?? '#2459c9';
          return horizontal ? (
            <rect key={s} x={m.left + start} y={m.top + band} width={length} height={barThickness} fill={fill} />
          ) : (
            <rect key={s} x={m.left + band} y={m.top + plotH - offset} width={barThickness} height={length} fill={fill} />
          );
        });
        // Category labels: every one when they fit, else every second or third.
        const every = Math.ceil(((horizontal ? FONT + 2 : 16) * data.length) / (horizontal ? plotH : plotW));
        return (
          <g key={d.label} className="bar" data-label={d.label}>
            <title>{d.title}</title>
            {segments}
            {i % every === 0 &&
              (horizontal ? (
                <text x={m.left - 4} y={m.top + band + barThickness / 2 + 3.5} textAnchor="end" fill={TEXT}>
                  {d.label}
                </text>
              ) : (
                <text x={m.left + band + barThickness / 2} y={m.top + plotH + 11} textAnchor="middle" fill={TEXT}>
                  {d.label}
                </text>
              ))}
          </g>
        );
      })}
      {/* axis lines */}
      <line x1={m.left} x2={m.left} y1={m.top} y2={m.top + plotH} stroke={TEXT} />
      <line x1={m.left} x2={m.left + plotW} y1={m.top + plotH} y2={m.top + plotH} stroke={TEXT} />
      {reference &&
        (horizontal ? (
          <line x1={m.left + scale(reference.value)} x2={m.left + scale(reference.value)} y1={m.top} y2={m.top + plotH} stroke={reference.color} strokeDasharray="4 4" />
        ) : (
          <line x1={m.left} x2={m.left + plotW} y1={m.top + plotH - scale(reference.value)} y2={m.top + plotH - scale(reference.value)} stroke={reference.color} strokeDasharray="4 4" />
        ))}
      {categoryTitle && !horizontal && (
        <text x={m.left + plotW / 2} y={height - 2} textAnchor="middle" fill={TEXT}>
          {categoryTitle}
        </text>
      )}
    </svg>
  );
});

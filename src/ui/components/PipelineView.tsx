import { memo, useDeferredValue } from 'react';
import type { DesignMetrics } from '../../core/design/design.ts';
import { bottleneckReason } from '../../core/hw/fold.ts';
import { allowedFoldings } from '../../core/hw/folding.ts';
import { formatCompact, formatCount } from '../format.ts';
import { useApp } from '../store/index.ts';
import { useDesignMetrics } from '../store/derived.ts';
import { Provenance } from './Provenance.tsx';

/**
 * The streaming pipeline as a person pictures it: one engine per layer, in stream order, each with
 * its cycles per frame (the bottleneck marked), its resources and its input FIFO. A bar under each
 * engine shows its cycles relative to the bottleneck. Clicking an engine selects its layer row.
 */
export function PipelineView() {
  const metrics = useDeferredValue(useDesignMetrics().metrics);
  const selected = useApp((s) => s.selectedLayers);
  return metrics ? <PipelineStrip metrics={metrics} selected={selected} /> : null;
}

const PipelineStrip = memo(function PipelineStrip({ metrics, selected }: { metrics: DesignMetrics; selected: string[] }) {
  const e = metrics.estimate;
  const max = Math.max(1, e.maxCycles);
  const engines = e.layers.map((row, index) => ({ row, index })).filter(({ row }) => row.mappable);
  const b = e.layers.findIndex((l) => l.isBottleneck);
  const why = b >= 0 ? bottleneckReason(metrics.hwLayers[b], metrics.folding[b], allowedFoldings(metrics.hwLayers[b])) : null;
  const select = (name: string) => {
    useApp.getState().selectLayers([name]);
    document.querySelector(`[data-layer-row="${CSS.escape(name)}"]`)?.scrollIntoView({ block: 'nearest' });
  };
  return (
    <section className="card pipeline" aria-labelledby="pipeline-title" data-testid="pipeline">
      <h2 id="pipeline-title">
        Pipeline, {engines.length} engines <Provenance kind="estimated" />
      </h2>
      <ol className="pipeline-strip">
        {engines.map(({ row, index }) => {
          const fifo = row.fifos.reduce((d, f) => d + f.depth, 0);
          const load = row.cycles / max;
          return (
            <li key={row.name}>
              <button
                type="button"
                className={['engine', row.isBottleneck ? 'bottleneck' : '', selected.includes(row.name) ? 'selected' : ''].join(' ')}
                title={`#${index + 1} ${row.name}\n${row.engine ?? row.op}, PE ${row.config.pe} / SIMD ${row.config.simd}\n${formatCount(row.cycles)} cycles per frame${
                  row.isBottleneck ? ' (bottleneck: sets the frame rate)' : ''
                }\nDSP ${row.dsp}, BRAM18 ${row.bram18}, LUT ${formatCount(row.lut)}, FF ${formatCount(row.ff)}\ninput FIFO${row.fifos.length > 1 ? 's' : ''}: ${
                  row.fifos.map((f) => `${f.depth} x ${f.width} bit${f.bypass ? ' (bypass)' : ''}`).join(', ') || 'none'
                }`}
                aria-label={`Engine ${index + 1}, ${row.name}: ${formatCount(row.cycles)} cycles${row.isBottleneck ? ', bottleneck' : ''}`}
                data-testid={`engine-${index + 1}`}
                onClick={() => select(row.name)}
              >
                <span className="engine-id">
                  #{index + 1} {row.engine ?? row.op}
                </span>
                <span className="engine-cycles">{formatCompact(row.cycles)} cyc</span>
                <span className="engine-load" aria-hidden="true">
                  <span style={{ transform: `scaleX(${Math.max(0.02, Math.round(100 * load) / 100)})` }} />
                </span>
                <span className="engine-res">
                  {row.dsp} DSP · {row.bram18} BRAM
                </span>
                <span className="engine-res">{formatCompact(row.lut)} LUT</span>
                <span className="engine-fifo">FIFO {fifo || '—'}</span>
              </button>
            </li>
          );
        })}
      </ol>
      <p className="chart-note">
        {e.bottleneck ? `Bottleneck #${b + 1} (${e.bottleneck.engine}) sets ${e.fps.toFixed(1)} FPS. ` : ''}
        {why ? <span data-testid="bottleneck-why">{why} </span> : null}
        Bars: cycles per frame relative to the bottleneck. Click an engine to select its layer.
      </p>
    </section>
  );
});

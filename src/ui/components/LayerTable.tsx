import { memo, useMemo, useState } from 'react';
import { COMPUTE_KINDS as COMPUTE } from '../../core/graph/layer.ts';
import { allowedFoldings } from '../../core/hw/folding.ts';
import { bottleneckReason } from '../../core/hw/fold.ts';
import { formatCompact, formatCount, formatShape } from '../format.ts';
import { useApp } from '../store/index.ts';
import { useDesignMetrics } from '../store/derived.ts';

const BIT_OPTIONS = [2, 3, 4, 5, 6, 7, 8, 10, 12, 16];
const RATIOS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/** Short kind names so the table fits beside the charts; the full name is the tooltip. */
const KIND_SHORT: Record<string, string> = { depthwise: 'dw', pointwise: 'pw', unsupported: 'unsupp.', grouped: 'group' };

/** Kept-channel counts a group can take with round-to-multiple N: N, 2N, ... and the full size. */
export function allowedKeeps(size: number, roundTo: number): number[] {
  if (roundTo <= 1) return Array.from({ length: size }, (_, i) => i + 1);
  const values = [];
  for (let k = roundTo; k < size; k += roundTo) values.push(k);
  values.push(size);
  return values;
}

function PruneSlider({ layer, size, kept, roundTo }: { layer: string; size: number; kept: number; roundTo: number }) {
  const setPruneKeep = useApp((s) => s.setPruneKeep);
  // The slider follows the design itself, at once; `kept` (the evaluated plan) comes in a deferred
  // render and decides only when the design gives a ratio instead of a count.
  const ownKeep = useApp((s) => {
    const own = s.design.compression.layers?.[layer]?.prune;
    if (own?.keep !== undefined) return own.keep;
    return own || s.design.compression.prune?.ratio ? null : size;
  });
  const keeps = allowedKeeps(size, roundTo);
  const index = Math.max(0, keeps.findIndex((k) => k >= (ownKeep ?? kept)));
  return (
    <input
      type="range"
      className="prune-slider"
      min={0}
      max={keeps.length - 1}
      step={1}
      value={index}
      aria-label={`Channels kept in ${layer}`}
      aria-valuetext={`${keeps[index]} of ${size} channels kept`}
      data-testid={`prune-${layer}`}
      onChange={(e) => {
        const keep = keeps[Number(e.target.value)];
        setPruneKeep([layer], keep === size ? null : keep);
      }}
    />
  );
}

interface RowProps {
  index: number;
  name: string;
  kind: string;
  reason: string;
  output: string;
  channels: string;
  params: number;
  macs: number;
  selected: boolean;
  /** "slider:size:kept", "fixed:reasons", "follows:index:producer" or "" (primitive, so rows memoize). */
  prune: string;
  roundTo: number;
  weightBits: number | null;
  activationBits: number | 'float' | null;
  mappable: boolean;
  peOptions: string;
  simdOptions: string;
  peLabel: string;
  simdLabel: string;
  pe: number;
  simd: number;
  cycles: number | null;
  bottleneck: boolean;
  /** Why the bottleneck cannot go faster, when it is at its largest folding ("" otherwise). */
  bottleneckWhy: string;
}

const numbers = (list: string) => list.split(',').map(Number);

/** One layer; memoized on primitive props so a slider move re-renders only the rows it changes. */
const LayerRow = memo(function LayerRow(p: RowProps) {
  const { setBits, setFolding, selectLayers } = useApp.getState();
  const [pruneKind, ...rest] = p.prune.split(':');
  const toggle = () => {
    const selected = useApp.getState().selectedLayers;
    selectLayers(selected.includes(p.name) ? selected.filter((n) => n !== p.name) : [...selected, p.name]);
  };
  return (
    <tr className={[p.kind === 'unsupported' ? 'unsupported' : '', p.bottleneck ? 'bottleneck' : '', p.selected ? 'selected' : ''].join(' ')} data-layer-row={p.name}>
      <td>
        <input type="checkbox" checked={p.selected} onChange={toggle} aria-label={`Select ${p.name}`} />
      </td>
      <td>{p.index + 1}</td>
      <td className="name" title={`${p.name}\noutput ${p.output}, ${formatCount(p.params)} params`}>
        <bdi>{p.name}</bdi>
      </td>
      <td title={p.reason || undefined}>
        {KIND_SHORT[p.kind] ? (
          <span className={`kind kind-${p.kind}`} title={p.kind}>
            <span aria-hidden="true">{KIND_SHORT[p.kind]}</span>
            <span className="sr-only">{p.kind}</span>
          </span>
        ) : (
          <span className={`kind kind-${p.kind}`}>{p.kind}</span>
        )}
        {p.reason && <span className="reason"> ⚠</span>}
      </td>
      <td className="num" data-testid={`channels-${p.name}`} title={`output ${p.output}`}>
        {p.channels}
      </td>
      <td>
        {pruneKind === 'slider' ? (
          <PruneSlider layer={p.name} size={Number(rest[0])} kept={Number(rest[1])} roundTo={p.roundTo} />
        ) : pruneKind === 'fixed' ? (
          <span className="muted" title={rest.join(':')}>
            fixed
          </span>
        ) : pruneKind === 'follows' ? (
          <span className="muted" title={`Output channels follow ${rest.slice(1).join(':')}`}>
            follows #{rest[0]}
          </span>
        ) : null}
      </td>
      <td className="num" title={`${formatCount(p.macs)} MACs, ${formatCount(p.params)} params`}>
        {formatCompact(p.macs)}
      </td>
      <td>
        {p.weightBits !== null && (
          <select
            value={p.weightBits}
            aria-label={`Weight bits of ${p.name}`}
            data-testid={`wbits-${p.name}`}
            onChange={(e) => setBits([p.name], { weightBits: Number(e.target.value) })}
          >
            {BIT_OPTIONS.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        )}
      </td>
      <td>
        {p.activationBits !== null && (
          <select
            value={p.activationBits}
            aria-label={`Activation bits of ${p.name}`}
            onChange={(e) => setBits([p.name], { activationBits: e.target.value === 'float' ? null : Number(e.target.value) })}
          >
            {BIT_OPTIONS.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
            <option value="float">float</option>
          </select>
        )}
      </td>
      <td>
        {p.mappable && (
          <select value={p.pe} aria-label={`PE of ${p.name} (${p.peLabel})`} data-testid={`pe-${p.name}`} onChange={(e) => setFolding(p.name, { pe: Number(e.target.value) })}>
            {numbers(p.peOptions).map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        )}
      </td>
      <td>
        {p.mappable && p.simdOptions !== '1' && (
          <select value={p.simd} aria-label={`SIMD of ${p.name} (${p.simdLabel})`} onChange={(e) => setFolding(p.name, { simd: Number(e.target.value) })}>
            {numbers(p.simdOptions).map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        )}
      </td>
      <td className="num">
        <span title={p.cycles === null ? undefined : `${formatCount(p.cycles)} cycles per frame`}>{p.cycles === null ? '—' : formatCompact(p.cycles)}</span>
        {p.bottleneck && (
          <span className="bottleneck-mark" title={p.bottleneckWhy || 'Bottleneck: the slowest engine sets the frame rate'} data-testid="bottleneck-mark">
            {' '}
            ◀
          </span>
        )}
      </td>
    </tr>
  );
});

export function LayerTable() {
  const model = useApp((s) => s.model)!;
  const design = useApp((s) => s.design);
  const selected = useApp((s) => s.selectedLayers);
  const { setBits, setPruneRatio, setPruneKeep, resetDesign } = useApp.getState();
  const { metrics } = useDesignMetrics();
  const [bulkRatio, setBulkRatio] = useState('0.3');
  const [bulkBits, setBulkBits] = useState('4');
  const analysis = model.context.analysis;
  const groups = useMemo(() => new Map(analysis.groups.map((g) => [g.id, g])), [analysis]);
  if (!metrics) return null;
  const original = model.loaded.layers;
  const roundTo = design.compression.prune?.roundTo ?? 1;
  const prunableProducers = original.filter((l) => {
    const g = groups.get(analysis.layerGroup.get(l.name) ?? '');
    return g?.prunable && g.producers[0] === l.name;
  });
  const computeNames = original.filter((l) => COMPUTE.has(l.kind)).map((l) => l.name);
  const targets = selected.length ? selected : null;

  return (
    <section className="card wide" aria-labelledby="layers-title">
      <div className="layers-head">
      <h2 id="layers-title">Layers ({original.length})</h2>
      <div className="bulk" role="group" aria-label="Bulk actions">
        <span>{targets ? `${targets.length} selected` : 'all layers'}:</span>
        <label>
          prune ratio
          <select value={bulkRatio} onChange={(e) => setBulkRatio(e.target.value)}>
            {RATIOS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          onClick={() => {
            const names = prunableProducers.map((l) => l.name).filter((n) => !targets || targets.includes(n));
            const ratio = Number(bulkRatio);
            if (ratio === 0) setPruneKeep(names, null);
            else setPruneRatio(names, ratio);
          }}
        >
          Apply ratio
        </button>
        <label>
          bits
          <select value={bulkBits} onChange={(e) => setBulkBits(e.target.value)}>
            {BIT_OPTIONS.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setBits(targets ?? computeNames, { weightBits: Number(bulkBits) })}>
          Apply to weights
        </button>
        <button type="button" onClick={() => setBits(targets ?? computeNames, { activationBits: Number(bulkBits) })}>
          Apply to activations
        </button>
        <button type="button" onClick={resetDesign}>
          Reset all
        </button>
      </div>
      </div>
      {metrics.warnings.length > 0 && (
        <ul className="warnings">
          {metrics.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <div className="table-scroll">
        <table className="layers" data-testid="layer-table">
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">select</span>
              </th>
              <th scope="col">#</th>
              <th scope="col">layer</th>
              <th scope="col">kind</th>
              <th scope="col" className="num">
                channels
              </th>
              <th scope="col">prune</th>
              <th scope="col" className="num">
                MACs
              </th>
              <th scope="col">W bits</th>
              <th scope="col">A bits</th>
              <th scope="col">PE</th>
              <th scope="col">SIMD</th>
              <th scope="col" className="num">
                cycles
              </th>
            </tr>
          </thead>
          <tbody>
            {original.map((layer, i) => {
              const now = metrics.layers[i];
              const row = metrics.estimate.layers[i];
              const hw = metrics.hwLayers[i];
              const groupId = analysis.layerGroup.get(layer.name);
              const group = groupId ? groups.get(groupId) : undefined;
              const kept = group ? (metrics.resolved.plan.keep.get(group.id)?.length ?? group.size) : null;
              const quant = metrics.resolved.quant[layer.name];
              const folds = allowedFoldings(hw);
              const cfg = metrics.folding[i];
              let prune: RowProps['prune'] = '';
              if (group?.prunable && group.producers[0] === layer.name && kept !== null) prune = `slider:${group.size}:${kept}`;
              else if (group && !group.prunable && group.producers[0] === layer.name) prune = `fixed:${group.reasons.join('; ')}`;
              else if (group && group.producers[0] !== layer.name && COMPUTE.has(layer.kind)) {
                prune = `follows:${original.findIndex((l) => l.name === group.producers[0]) + 1}:${group.producers[0]}`;
              }
              return (
                <LayerRow
                  key={layer.name}
                  index={i}
                  name={layer.name}
                  kind={layer.kind}
                  reason={layer.reason ?? ''}
                  output={formatShape(now.outputShape)}
                  channels={`${now.outputShape[1] ?? '?'} / ${layer.outputShape[1] ?? '?'}`}
                  params={now.params}
                  macs={now.macs}
                  selected={selected.includes(layer.name)}
                  prune={prune}
                  roundTo={roundTo}
                  weightBits={quant ? quant.weightBits : null}
                  activationBits={quant ? (quant.activationBits ?? 'float') : null}
                  mappable={hw.mappable}
                  peOptions={folds.pe.join(',')}
                  simdOptions={folds.simd.join(',')}
                  peLabel={folds.peLabel}
                  simdLabel={folds.simdLabel}
                  pe={cfg.pe}
                  simd={cfg.simd}
                  cycles={row?.mappable ? row.cycles : null}
                  bottleneck={Boolean(row?.isBottleneck)}
                  bottleneckWhy={row?.isBottleneck ? (bottleneckReason(hw, cfg, folds) ?? '') : ''}
                />
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

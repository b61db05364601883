import { useMemo, useState } from 'react';
import { allowedFoldings } from '../../core/hw/folding.ts';
import type { ChannelGroup } from '../../core/prune/groups.ts';
import { formatCount, formatShape } from '../format.ts';
import { useApp } from '../store/index.ts';
import { useDesignMetrics } from '../store/derived.ts';

const BIT_OPTIONS = [2, 3, 4, 5, 6, 7, 8, 10, 12, 16];
const RATIOS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const COMPUTE = new Set(['conv', 'pointwise', 'depthwise', 'grouped', 'fc']);

/** Kept-channel counts a group can take with round-to-multiple N: N, 2N, ... and the full size. */
export function allowedKeeps(size: number, roundTo: number): number[] {
  if (roundTo <= 1) return Array.from({ length: size }, (_, i) => i + 1);
  const values = [];
  for (let k = roundTo; k < size; k += roundTo) values.push(k);
  values.push(size);
  return values;
}

function PruneSlider({ layer, group, kept, roundTo }: { layer: string; group: ChannelGroup; kept: number; roundTo: number }) {
  const setPruneKeep = useApp((s) => s.setPruneKeep);
  const keeps = allowedKeeps(group.size, roundTo);
  const index = Math.max(0, keeps.findIndex((k) => k >= kept));
  return (
    <input
      type="range"
      className="prune-slider"
      min={0}
      max={keeps.length - 1}
      step={1}
      value={index}
      aria-label={`Channels kept in ${layer}`}
      aria-valuetext={`${keeps[index]} of ${group.size} channels kept`}
      data-testid={`prune-${layer}`}
      onChange={(e) => {
        const keep = keeps[Number(e.target.value)];
        setPruneKeep([layer], keep === group.size ? null : keep);
      }}
    />
  );
}

export function LayerTable() {
  const model = useApp((s) => s.model)!;
  const design = useApp((s) => s.design);
  const selected = useApp((s) => s.selectedLayers);
  const { selectLayers, setBits, setFolding, setPruneRatio, setPruneKeep, resetDesign } = useApp.getState();
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
  const toggle = (name: string) => selectLayers(selected.includes(name) ? selected.filter((n) => n !== name) : [...selected, name]);

  return (
    <section className="card wide" aria-labelledby="layers-title">
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
              <th scope="col">output</th>
              <th scope="col" className="num">
                channels
              </th>
              <th scope="col">prune</th>
              <th scope="col" className="num">
                params
              </th>
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
              const channels = (s: typeof layer.outputShape) => s[1] ?? '?';
              return (
                <tr key={layer.name} className={[layer.kind === 'unsupported' ? 'unsupported' : '', row?.isBottleneck ? 'bottleneck' : ''].join(' ')}>
                  <td>
                    <input type="checkbox" checked={selected.includes(layer.name)} onChange={() => toggle(layer.name)} aria-label={`Select ${layer.name}`} />
                  </td>
                  <td>{i + 1}</td>
                  <td className="name" title={layer.name}>
                    {layer.name}
                  </td>
                  <td>
                    <span className={`kind kind-${layer.kind}`}>{layer.kind}</span>
                    {layer.reason && <span className="reason"> — {layer.reason}</span>}
                  </td>
                  <td>{formatShape(now.outputShape)}</td>
                  <td className="num" data-testid={`channels-${layer.name}`}>
                    {channels(now.outputShape)} / {channels(layer.outputShape)}
                  </td>
                  <td>
                    {group?.prunable && group.producers[0] === layer.name && kept !== null ? (
                      <PruneSlider layer={layer.name} group={group} kept={kept} roundTo={roundTo} />
                    ) : group && !group.prunable && group.producers[0] === layer.name ? (
                      <span className="muted" title={group.reasons.join('; ')}>
                        fixed
                      </span>
                    ) : group && group.producers[0] !== layer.name && COMPUTE.has(layer.kind) ? (
                      <span className="muted" title={`Output channels follow ${group.producers[0]}`}>
                        follows #{original.findIndex((l) => l.name === group.producers[0]) + 1}
                      </span>
                    ) : null}
                  </td>
                  <td className="num">{formatCount(now.params)}</td>
                  <td className="num">{formatCount(now.macs)}</td>
                  <td>
                    {quant && (
                      <select
                        value={quant.weightBits}
                        aria-label={`Weight bits of ${layer.name}`}
                        data-testid={`wbits-${layer.name}`}
                        onChange={(e) => setBits([layer.name], { weightBits: Number(e.target.value) })}
                      >
                        {BIT_OPTIONS.map((b) => (
                          <option key={b} value={b}>
                            {b}
                          </option>
                        ))}
                      </select>
                    )}
                  </td>
                  <td>
                    {quant && (
                      <select
                        value={quant.activationBits ?? 'float'}
                        aria-label={`Activation bits of ${layer.name}`}
                        onChange={(e) => setBits([layer.name], { activationBits: e.target.value === 'float' ? null : Number(e.target.value) })}
                      >
                        {BIT_OPTIONS.map((b) => (
                          <option key={b} value={b}>
                            {b}
                          </option>
                        ))}
                        <option value="float">float</option>
                      </select>
                    )}
                  </td>
                  <td>
                    {hw.mappable && (
                      <select
                        value={cfg.pe}
                        aria-label={`PE of ${layer.name} (${folds.peLabel})`}
                        data-testid={`pe-${layer.name}`}
                        onChange={(e) => setFolding(layer.name, { pe: Number(e.target.value) })}
                      >
                        {folds.pe.map((v) => (
                          <option key={v} value={v}>
                            {v}
                          </option>
                        ))}
                      </select>
                    )}
                  </td>
                  <td>
                    {hw.mappable && folds.simd.length > 1 && (
                      <select
                        value={cfg.simd}
                        aria-label={`SIMD of ${layer.name} (${folds.simdLabel})`}
                        onChange={(e) => setFolding(layer.name, { simd: Number(e.target.value) })}
                      >
                        {folds.simd.map((v) => (
                          <option key={v} value={v}>
                            {v}
                          </option>
                        ))}
                      </select>
                    )}
                  </td>
                  <td className="num">
                    {row?.mappable ? formatCount(row.cycles) : '—'}
                    {row?.isBottleneck && (
                      <span className="bottleneck-mark" title="Bottleneck: the slowest engine sets the frame rate">
                        {' '}
                        ◀ bottleneck
                      </span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

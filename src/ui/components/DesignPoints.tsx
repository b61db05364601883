import { useState } from 'react';
import { formatCompact, formatPercent } from '../format.ts';
import { useApp, type DesignPoint } from '../store/index.ts';
import { diffDesigns } from '../../core/design/diff.ts';

function Compare({ a, b }: { a: DesignPoint; b: DesignPoint }) {
  const diff = diffDesigns(a.design, b.design);
  const rows: [string, number | null, number | null, (v: number) => string][] = [
    ['top-1 (measured)', a.metrics.measuredTop1, b.metrics.measuredTop1, (v) => formatPercent(v)],
    ['top-1 without recovery', a.metrics.rawTop1 ?? null, b.metrics.rawTop1 ?? null, (v) => formatPercent(v)],
    ['params', a.metrics.params, b.metrics.params, formatCompact],
    ['MACs', a.metrics.macs, b.metrics.macs, formatCompact],
    ['FPS', a.metrics.fps, b.metrics.fps, (v) => v.toFixed(1)],
    ['latency (ms)', a.metrics.latencyMs, b.metrics.latencyMs, (v) => v.toFixed(3)],
    ['power (W)', a.metrics.powerW, b.metrics.powerW, (v) => v.toFixed(2)],
    ['DSP', a.metrics.dsp, b.metrics.dsp, String],
    ['BRAM18', a.metrics.bram18, b.metrics.bram18, String],
    ['LUT', a.metrics.lut, b.metrics.lut, formatCompact],
  ];
  return (
    <div className="compare" data-testid="compare">
      <table>
        <thead>
          <tr>
            <th scope="col">metric</th>
            <th scope="col">{a.name}</th>
            <th scope="col">{b.name}</th>
            <th scope="col">Δ</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, x, y, f]) => (
            <tr key={label}>
              <td>{label}</td>
              <td>{x === null ? '—' : f(x)}</td>
              <td>{y === null ? '—' : f(y)}</td>
              <td>{x === null || y === null ? '—' : `${y - x >= 0 ? '+' : ''}${label.startsWith('top-1') ? `${((y - x) * 100).toFixed(2)} pp` : f(y - x)}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Per-layer differences ({diff.length})</h3>
      {diff.length === 0 ? (
        <p>The two designs have the same settings.</p>
      ) : (
        <ul className="diff">
          {diff.map((d) => (
            <li key={`${d.layer}.${d.field}`}>
              <code>{d.layer}</code> {d.field}: {String(d.a ?? 'default')} → {String(d.b ?? 'default')}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function DesignPoints() {
  const points = useApp((s) => s.points);
  const model = useApp((s) => s.model);
  const compare = useApp((s) => s.compare);
  const { savePoint, renamePoint, deletePoint, restorePoint, setCompare } = useApp.getState();
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const mine = points.filter((p) => p.modelSha256 === model?.sha256);
  const a = compare && mine.find((p) => p.id === compare[0]);
  const b = compare && mine.find((p) => p.id === compare[1]);
  return (
    <section className="card" aria-labelledby="points-title" data-testid="design-points">
      <h2 id="points-title">Design points ({mine.length})</h2>
      <form
        className="save-point"
        onSubmit={(e) => {
          e.preventDefault();
          savePoint(name);
          setName('');
        }}
      >
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder={`Design ${mine.length + 1}`} aria-label="Design point name" data-testid="point-name" />
        <button type="submit" data-testid="save-point">
          Save current design
        </button>
      </form>
      {mine.length > 0 && (
        <table className="points">
          <thead>
            <tr>
              <th scope="col">compare</th>
              <th scope="col">name</th>
              <th scope="col">top-1</th>
              <th scope="col">without recovery</th>
              <th scope="col">FPS</th>
              <th scope="col">params</th>
              <th scope="col">DSP</th>
              <th scope="col">actions</th>
            </tr>
          </thead>
          <tbody>
            {mine.map((p) => (
              <tr key={p.id} data-testid="point-row">
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Compare ${p.name}`}
                    checked={picked.includes(p.id)}
                    onChange={() => setPicked((s) => (s.includes(p.id) ? s.filter((x) => x !== p.id) : [...s, p.id].slice(-2)))}
                  />
                </td>
                <td>
                  <input className="point-name" value={p.name} aria-label="Rename design point" onChange={(e) => renamePoint(p.id, e.target.value)} />
                </td>
                <td data-testid="point-top1" title={p.metrics.recovery ? `after ${p.metrics.recovery}` : undefined}>
                  {p.metrics.measuredTop1 === null ? 'not measured' : formatPercent(p.metrics.measuredTop1)}
                  {p.metrics.recovery ? <span className="muted"> ({p.metrics.recovery})</span> : null}
                </td>
                <td data-testid="point-raw-top1">{p.metrics.rawTop1 == null ? '—' : formatPercent(p.metrics.rawTop1)}</td>
                <td>{p.metrics.fps.toFixed(1)}</td>
                <td>{formatCompact(p.metrics.params)}</td>
                <td>{p.metrics.dsp}</td>
                <td>
                  <button type="button" onClick={() => restorePoint(p.id)}>
                    Restore
                  </button>{' '}
                  <button type="button" onClick={() => deletePoint(p.id)} aria-label={`Delete ${p.name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mine.length >= 2 && (
        <button type="button" disabled={picked.length !== 2} onClick={() => setCompare([picked[0], picked[1]])} data-testid="compare-button">
          Compare the two checked points
        </button>
      )}
      {a && b && <Compare a={a} b={b} />}
    </section>
  );
}

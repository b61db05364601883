import { useState } from 'react';
import { formatCompact, formatPercent } from '../format.ts';
import { useApp, type DesignPoint } from '../store/index.ts';
import { diffDesigns } from '../../core/design/diff.ts';
import { downloadText } from '../download.ts';
import { POINT_COLUMNS, describeDifference, pointsToCsv, pointsToJson, sortPoints } from '../points-table.ts';

function Compare({ a, b }: { a: DesignPoint; b: DesignPoint }) {
  const diff = diffDesigns(a.design, b.design);
  const layers = useApp((s) => s.model?.loaded.layers);
  const tableNumber = new Map((layers ?? []).map((l, i) => [l.name, i + 1]));
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
          {rows.filter(([, x, y]) => x !== y).map(([label, x, y, f]) => (
            <tr key={label}>
              <td>{label}</td>
              <td>{x === null ? '—' : f(x)}</td>
              <td>{y === null ? '—' : f(y)}</td>
              <td>{x === null || y === null ? '—' : `${y - x >= 0 ? '+' : '−'}${label.startsWith('top-1') ? `${Math.abs((y - x) * 100).toFixed(2)} pp` : f(Math.abs(y - x))}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Per-layer differences ({diff.length})</h3>
      {diff.length === 0 ? (
        <p>The two designs have the same settings.</p>
      ) : (
        <ul className="diff">
          {diff.map((d) => {
            const line = describeDifference(d, tableNumber);
            return (
              <li key={`${d.layer}.${d.field}`} data-testid="compare-difference">
                <code title={line.title}>{line.layer}</code> {line.setting}: {line.from} → {line.to}
              </li>
            );
          })}
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
  // The compared pair and the sort order are part of the saved session; the checks start from the pair shown.
  const [picked, setPicked] = useState<string[]>(() => compare ?? []);
  const order = useApp((s) => s.pointsOrder);
  const setOrder = useApp((s) => s.setPointsOrder);
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
        <div className="table-scroll">
          <table className="points" data-testid="points-table">
            <thead>
              <tr>
                <th scope="col">compare</th>
                <th scope="col">name</th>
                {POINT_COLUMNS.map((c) => (
                  <th
                    key={c.id}
                    scope="col"
                    className="num"
                    title={c.title}
                    aria-sort={order?.column === c.id ? (order.descending ? 'descending' : 'ascending') : 'none'}
                  >
                    <button type="button" className="sort" onClick={() => setOrder(order?.column === c.id ? { column: c.id, descending: !order.descending } : { column: c.id, descending: true })} data-testid={`sort-${c.id}`}>
                      {c.label}
                      {order?.column === c.id ? (order.descending ? ' ▼' : ' ▲') : ''}
                    </button>
                  </th>
                ))}
                <th scope="col">actions</th>
              </tr>
            </thead>
            <tbody>
              {sortPoints(mine, order).map((p) => (
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
                  {POINT_COLUMNS.map((c) => {
                    const v = c.value(p);
                    const testId = c.id === 'top1' ? 'point-top1' : c.id === 'rawTop1' ? 'point-raw-top1' : undefined;
                    return (
                      <td key={c.id} className="num" data-testid={testId} title={c.id === 'top1' && (p.metrics.recovery || p.metrics.provenance) ? [p.metrics.recovery && `after ${p.metrics.recovery}`, p.metrics.provenance].filter(Boolean).join('; ') : undefined}>
                        {v === null ? (c.id === 'top1' ? 'not measured' : '—') : c.format(v)}
                        {c.id === 'top1' && p.metrics.recovery ? <span className="muted"> ({p.metrics.recovery})</span> : null}
                        {c.id === 'top1' && p.metrics.provenance ? (
                          <span className="muted" data-testid="point-provenance">
                            {' '}
                            {p.metrics.provenance}
                          </span>
                        ) : null}
                      </td>
                    );
                  })}
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
        </div>
      )}
      {mine.length > 0 && (
        <p className="points-export">
          <button type="button" onClick={() => downloadText(pointsToCsv(sortPoints(mine, order)), 'design-points.csv', 'text/csv')} data-testid="points-csv">
            Export CSV
          </button>{' '}
          <button type="button" onClick={() => downloadText(pointsToJson(sortPoints(mine, order)), 'design-points.json')} data-testid="points-json">
            Export JSON
          </button>
        </p>
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

import { formatCount, formatShape } from '../format.ts';
import { useApp } from '../store.ts';

export function LayerTable() {
  const layers = useApp((s) => s.model!.loaded.layers);
  return (
    <section className="card wide" aria-labelledby="layers-title">
      <h2 id="layers-title">Layers ({layers.length})</h2>
      <div className="table-scroll">
        <table className="layers" data-testid="layer-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">layer</th>
              <th scope="col">kind</th>
              <th scope="col">input</th>
              <th scope="col">output</th>
              <th scope="col">kernel</th>
              <th scope="col">stride</th>
              <th scope="col">groups</th>
              <th scope="col" className="num">
                params
              </th>
              <th scope="col" className="num">
                MACs
              </th>
            </tr>
          </thead>
          <tbody>
            {layers.map((layer, i) => (
              <tr key={layer.name} className={layer.kind === 'unsupported' ? 'unsupported' : undefined}>
                <td>{i + 1}</td>
                <td className="name" title={layer.name}>
                  {layer.name}
                </td>
                <td>
                  <span className={`kind kind-${layer.kind}`}>{layer.kind}</span>
                  {layer.reason && <span className="reason"> — {layer.reason}</span>}
                </td>
                <td>{formatShape(layer.inputShape)}</td>
                <td>{formatShape(layer.outputShape)}</td>
                <td>{layer.kernel.join('×')}</td>
                <td>{layer.stride.join(',')}</td>
                <td>{layer.groups}</td>
                <td className="num">{formatCount(layer.params)}</td>
                <td className="num">{formatCount(layer.macs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

import { useRef, type ReactNode } from 'react';
import { downloadBlob } from '../download.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * recharts draws legends as HTML beside its SVG, so an export of the SVG alone had none. The
 * entries are drawn into the copy where they sit on screen: each icon (a small SVG) and its name
 * in its colour and font size, in the legend's order.
 */
function legendOf(surface: SVGSVGElement): SVGGElement | null {
  const items = [...(surface.closest('.recharts-wrapper')?.querySelectorAll('.recharts-legend-item') ?? [])];
  if (!items.length) return null;
  const origin = surface.getBoundingClientRect();
  const group = document.createElementNS(SVG_NS, 'g');
  group.setAttribute('class', 'export-legend');
  for (const item of items) {
    const icon = item.querySelector('svg');
    if (icon) {
      const r = icon.getBoundingClientRect();
      const copy = icon.cloneNode(true) as SVGSVGElement;
      copy.setAttribute('x', String(Math.round(r.left - origin.left)));
      copy.setAttribute('y', String(Math.round(r.top - origin.top)));
      copy.setAttribute('width', String(Math.round(r.width)));
      copy.setAttribute('height', String(Math.round(r.height)));
      copy.removeAttribute('style');
      group.appendChild(copy);
    }
    const label = item.querySelector('.recharts-legend-item-text') ?? item;
    const r = label.getBoundingClientRect();
    const style = getComputedStyle(label);
    const text = document.createElementNS(SVG_NS, 'text');
    text.setAttribute('x', String(Math.round(r.left - origin.left)));
    text.setAttribute('y', String(Math.round(r.top - origin.top + r.height / 2)));
    text.setAttribute('dominant-baseline', 'central');
    text.setAttribute('font-size', style.fontSize);
    text.setAttribute('fill', style.color);
    text.textContent = label.textContent ?? '';
    group.appendChild(text);
  }
  return group;
}

/** A chart with a title, its provenance, and "save as SVG / PNG" buttons. */
export function ChartCard({ title, id, note, children }: { title: ReactNode; id: string; note?: ReactNode; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  // The chart's own surfaces (recharts' or our plain-SVG bar charts'), not legend icons (those are svg.recharts-surface too, 14 x 14). A card
  // may hold more than one chart (resources: per resource, then per layer): the export stacks them all.
  const surfaces = () => [...(box.current?.querySelectorAll(':scope .recharts-wrapper > svg.recharts-surface, :scope svg.chart-surface') ?? [])] as SVGSVGElement[];
  const size = () => {
    const boxes = surfaces().map((el) => el.getBoundingClientRect());
    return { width: Math.round(Math.max(0, ...boxes.map((b) => b.width))), height: Math.round(boxes.reduce((sum, b) => sum + b.height, 0)) };
  };
  const svgText = () => {
    const charts = surfaces();
    if (!charts.length) return null;
    const { width, height } = size();
    const out = document.createElementNS(SVG_NS, 'svg');
    out.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    out.setAttribute('width', String(width));
    out.setAttribute('height', String(height));
    out.setAttribute('viewBox', `0 0 ${width} ${height}`);
    out.setAttribute('style', 'background:white;font-family:sans-serif');
    let y = 0;
    for (const el of charts) {
      const r = el.getBoundingClientRect();
      const copy = el.cloneNode(true) as SVGSVGElement;
      copy.setAttribute('x', '0');
      copy.setAttribute('y', String(Math.round(y)));
      copy.setAttribute('width', String(Math.round(r.width)));
      copy.setAttribute('height', String(Math.round(r.height)));
      copy.removeAttribute('style');
      const legend = legendOf(el);
      if (legend) copy.appendChild(legend);
      out.appendChild(copy);
      y += r.height;
    }
    return new XMLSerializer().serializeToString(out);
  };
  const saveSvg = () => {
    const text = svgText();
    if (text) downloadBlob(new Blob([text], { type: 'image/svg+xml' }), `${id}.svg`);
  };
  const savePng = () => {
    const text = svgText();
    if (!text) return;
    const { width, height } = size();
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = width * 2;
      canvas.height = height * 2;
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = 'white';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.scale(2, 2);
      ctx.drawImage(image, 0, 0, width, height);
      canvas.toBlob((blob) => blob && downloadBlob(blob, `${id}.png`), 'image/png');
    };
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  };
  return (
    <section className="card chart" aria-labelledby={`${id}-title`} data-testid={`chart-${id}`}>
      <div className="chart-head">
        <h2 id={`${id}-title`}>{title}</h2>
        <div className="chart-actions">
          <button type="button" onClick={saveSvg} aria-label={`Save ${id} chart as SVG`}>
            SVG
          </button>
          <button type="button" onClick={savePng} aria-label={`Save ${id} chart as PNG`}>
            PNG
          </button>
        </div>
      </div>
      <div ref={box} className="chart-box">
        {children}
      </div>
      {note && (
        <p className="chart-note" title={typeof note === 'string' ? note : undefined}>
          {note}
        </p>
      )}
    </section>
  );
}

import { useRef, type ReactNode } from 'react';
import { downloadBlob } from '../download.ts';

/** A chart with a title, its provenance, and "save as SVG / PNG" buttons. */
export function ChartCard({ title, id, note, children }: { title: ReactNode; id: string; note?: ReactNode; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  // The chart's own surface, not a legend icon (those are svg.recharts-surface too, 14 x 14); or the first light bar chart.
  const svg = () => box.current?.querySelector(':scope .recharts-wrapper > svg.recharts-surface, :scope svg.chart-surface') as SVGSVGElement | null;
  const svgText = () => {
    const el = svg();
    if (!el) return null;
    const copy = el.cloneNode(true) as SVGSVGElement;
    const { width, height } = el.getBoundingClientRect();
    copy.setAttribute('width', String(Math.round(width)));
    copy.setAttribute('height', String(Math.round(height)));
    copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    copy.setAttribute('style', 'background:white;font-family:sans-serif');
    return new XMLSerializer().serializeToString(copy);
  };
  const saveSvg = () => {
    const text = svgText();
    if (text) downloadBlob(new Blob([text], { type: 'image/svg+xml' }), `${id}.svg`);
  };
  const savePng = () => {
    const el = svg();
    const text = svgText();
    if (!el || !text) return;
    const { width, height } = el.getBoundingClientRect();
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
      {note && <p className="chart-note">{note}</p>}
    </section>
  );
}

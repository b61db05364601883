import { useEffect, useRef } from 'react';
import type { PreviewTile } from '../../core/data/prepare.ts';

function Tile({ tile }: { tile: PreviewTile }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (context) context.putImageData(new ImageData(tile.rgba, tile.width, tile.height), 0, 0);
  }, [tile]);
  return (
    <figure className="data-tile" data-testid="data-tile">
      <canvas ref={canvas} width={tile.width} height={tile.height} role="img" aria-label={`image ${tile.index + 1}, class ${tile.className}`} />
      <figcaption title={tile.className}>{tile.className}</figcaption>
    </figure>
  );
}

/** A few images after preprocessing (resize and colour as the model will see them), with their labels. */
export function PreviewGrid({ tiles }: { tiles: PreviewTile[] }) {
  return (
    <div className="data-preview" data-testid="data-preview" aria-label="Preview of preprocessed images">
      {tiles.map((t) => (
        <Tile key={t.index} tile={t} />
      ))}
    </div>
  );
}

import { useState, type DragEvent, type ReactNode } from 'react';
import { checkFileSize, LIMITS } from '../../core/limits.ts';
import { useApp } from '../store/index.ts';

export async function openModelFile(file: File | undefined): Promise<void> {
  if (!file) return;
  try {
    checkFileSize(file.size, LIMITS.model.fileBytes, file.name); // before reading it into memory
  } catch (error) {
    useApp.setState({ loadError: (error as Error).message });
    return;
  }
  await useApp.getState().openModelBytes(new Uint8Array(await file.arrayBuffer()), file.name);
}

/** While a model is decoded and analysed in its worker: what is being opened, and a way out. */
function OpeningBanner() {
  const opening = useApp((s) => s.openingModel);
  const cancel = useApp((s) => s.cancelModelOpen);
  if (!opening) return null;
  return (
    <div className="opening-banner" role="status" data-testid="model-opening">
      Opening {opening}… <button onClick={cancel} data-testid="model-opening-cancel">Cancel</button>
    </div>
  );
}

/** Drag-and-drop of an .onnx file anywhere on the page. */
export function ModelOpener({ children }: { children: ReactNode }) {
  const [dragging, setDragging] = useState(false);
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void openModelFile(event.dataTransfer.files[0]);
  };
  return (
    <div
      className={dragging ? 'page dragging' : 'page'}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <OpeningBanner />
      {children}
      {dragging && <div className="drop-overlay">Drop the .onnx file to open it</div>}
    </div>
  );
}

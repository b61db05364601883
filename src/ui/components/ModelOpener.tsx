import { useState, type DragEvent, type ReactNode } from 'react';
import { useApp } from '../store/index.ts';

export async function openModelFile(file: File | undefined): Promise<void> {
  if (!file) return;
  await useApp.getState().openModelBytes(new Uint8Array(await file.arrayBuffer()), file.name);
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
      {children}
      {dragging && <div className="drop-overlay">Drop the .onnx file to open it</div>}
    </div>
  );
}

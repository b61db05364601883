import { useRef, useState, type DragEvent, type ReactNode } from 'react';
import { useApp } from '../store.ts';

/** File picker in the toolbar, and drag-and-drop of an .onnx file anywhere on the page. */
export function ModelOpener({ children }: { children: ReactNode }) {
  const openModelBytes = useApp((s) => s.openModelBytes);
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  const openFile = async (file: File | undefined) => {
    if (!file) return;
    openModelBytes(new Uint8Array(await file.arrayBuffer()), file.name);
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void openFile(event.dataTransfer.files[0]);
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
      <div className="toolbar">
        <button type="button" onClick={() => input.current?.click()}>
          Open ONNX model…
        </button>
        <input
          ref={input}
          type="file"
          accept=".onnx"
          hidden
          data-testid="model-file-input"
          aria-label="Open ONNX model file"
          onChange={(e) => {
            void openFile(e.target.files?.[0]);
            e.target.value = '';
          }}
        />
        <span className="hint">or drop an .onnx file on the page</span>
      </div>
      {children}
      {dragging && <div className="drop-overlay">Drop the .onnx file to open it</div>}
    </div>
  );
}

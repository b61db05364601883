import { useRef, useState, type DragEvent } from 'react';
import { inputFromDrop, inputFromFiles } from '../../workers-client/data.ts';
import { useApp } from '../store/index.ts';

/** Accepted by the file picker: ImageFolder zips, npz, npy pairs and IDX pairs (plain or gzip). */
const ACCEPT = '.zip,.npz,.npy,.gz,.idx,.idx1-ubyte,.idx3-ubyte,application/zip';
/** Folder pickers are not in the DOM typings; React passes the attributes through. */
const FOLDER_ATTRIBUTES = { webkitdirectory: '', directory: '' } as Record<string, string>;

/** Import by file picker, folder picker or drop, with progress, cancel and errors that name the file. */
export function DataImport() {
  const files = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  const job = useApp((s) => s.dataset.job);
  const { importData, cancelDataJob, dismissDataError } = useApp.getState();
  const [over, setOver] = useState(false);
  const running = job.status === 'running';

  const fromPicker = (list: FileList | null) => {
    if (!list?.length) return;
    const chosen = Array.from(list);
    void importData(async () => inputFromFiles(chosen));
  };
  const onDrop = (event: DragEvent) => {
    // The page opens dropped .onnx models; a drop here is data.
    event.preventDefault();
    event.stopPropagation();
    setOver(false);
    if (running) return;
    const pending = inputFromDrop(event.dataTransfer.items); // entries must be read during the event
    void importData(() => pending);
  };
  const pct = job.progress.total ? Math.round((100 * job.progress.done) / job.progress.total) : 0;

  return (
    <div
      className={over ? 'data-drop over' : 'data-drop'}
      data-testid="data-dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        e.stopPropagation();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <div className="data-drop-actions">
        <button type="button" disabled={running} onClick={() => files.current?.click()}>
          Choose files…
        </button>
        <button type="button" disabled={running} onClick={() => folder.current?.click()}>
          Choose folder…
        </button>
        <span className="hint">
          or drop them here: an image folder (one sub-folder per class) or its .zip, an .npz, or a pair of .npy / IDX files (images and labels).
          Nothing leaves this machine.
        </span>
      </div>
      <input
        ref={files}
        type="file"
        accept={ACCEPT}
        multiple
        hidden
        data-testid="data-file-input"
        aria-label="Import a dataset file (.zip, .npz, or a pair of .npy / IDX files)"
        onChange={(e) => {
          fromPicker(e.target.files);
          e.target.value = '';
        }}
      />
      <input
        ref={folder}
        type="file"
        multiple
        hidden
        {...FOLDER_ATTRIBUTES}
        data-testid="data-folder-input"
        aria-label="Import an image folder"
        onChange={(e) => {
          fromPicker(e.target.files);
          e.target.value = '';
        }}
      />
      {running && (
        <div className="job" role="status">
          <span>{job.stage === 'importing' ? 'Decoding' : 'Preprocessing'}</span>
          <progress value={job.progress.done} max={job.progress.total || 1} aria-label="Dataset import progress" data-testid="data-progress" />
          <span className="data-progress-text">
            {job.progress.total ? `${job.progress.done} / ${job.progress.total} (${pct} %)` : '…'}
            {job.file ? ` ${job.file}` : ''}
          </span>
          <button type="button" onClick={cancelDataJob}>
            Cancel
          </button>
        </div>
      )}
      {job.status === 'cancelled' && <p role="status">Import cancelled; nothing changed.</p>}
      {job.error && (
        <div className="error-banner" role="alert" data-testid="data-error">
          <span>{job.error}</span>
          <button type="button" onClick={dismissDataError} aria-label="Dismiss dataset error">
            ×
          </button>
        </div>
      )}
    </div>
  );
}

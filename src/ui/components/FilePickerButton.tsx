import { useRef } from 'react';

interface FilePickerButtonProps {
  label: string;
  accept: string;
  /** Names the hidden input for screen readers and for the tests (which set files on it). */
  inputLabel: string;
  inputTestId: string;
  onFile: (file: File | undefined) => void;
  disabled?: boolean;
  title?: string;
}

/** A button that opens the file dialog; the same file can be picked twice in a row. */
export function FilePickerButton({ label, accept, inputLabel, inputTestId, onFile, disabled, title }: FilePickerButtonProps) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" disabled={disabled} title={title} onClick={() => input.current?.click()}>
        {label}
      </button>
      <input
        ref={input}
        type="file"
        accept={accept}
        hidden
        data-testid={inputTestId}
        aria-label={inputLabel}
        onChange={(e) => {
          onFile(e.target.files?.[0]);
          e.target.value = '';
        }}
      />
    </>
  );
}

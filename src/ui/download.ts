/** Saves a blob as a file through a temporary link (what browsers allow without a dialog API). */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const downloadText = (text: string, fileName: string, type = 'application/json') =>
  downloadBlob(new Blob([text], { type }), fileName);

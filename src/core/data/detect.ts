export type DetectedFormat = 'zip' | 'npz' | 'npy' | 'idx' | 'json' | 'image' | 'unknown';

/** Guesses a file's kind from its name and first bytes (an .npz is a zip of .npy files). */
export function detectFormat(fileName: string, bytes: Uint8Array): DetectedFormat {
  const name = fileName.toLowerCase();
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b;
  if (name.endsWith('.npz')) return 'npz';
  if (bytes[0] === 0x93 && bytes[1] === 0x4e && bytes[2] === 0x55) return 'npy';
  if (zip) {
    // an npz written under another name: every entry name ends in .npy; fflate is not needed to peek
    const text = new TextDecoder('latin1').decode(bytes.subarray(30, 30 + Math.min(256, (bytes[26] | (bytes[27] << 8)))));
    return text.endsWith('.npy') ? 'npz' : 'zip';
  }
  if (/idx\d-ubyte(\.gz)?$|\.idx(\.gz)?$/.test(name)) return 'idx';
  if (name.endsWith('.json')) return 'json';
  if (/\.(png|jpe?g|bmp|gif|webp)$/.test(name)) return 'image';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'idx';
  return 'unknown';
}

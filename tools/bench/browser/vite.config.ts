/** Builds the browser sweep bench page (tools/bench/sweep-browser.bench.ts drives it in headless Chromium). */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const isolationHeaders = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: import.meta.dirname,
  publicDir: resolve(import.meta.dirname, '../../../public'),
  preview: { headers: isolationHeaders },
  server: { headers: isolationHeaders },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    target: 'es2022',
    rollupOptions: { input: { index: resolve(import.meta.dirname, 'index.html'), train: resolve(import.meta.dirname, 'train.html'), untrusted: resolve(import.meta.dirname, 'untrusted.html'), synth: resolve(import.meta.dirname, 'synth.html') } },
    outDir: resolve(import.meta.dirname, '../../../node_modules/.cache/edgefold-bench-dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
  },
});

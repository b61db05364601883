import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { CONTENT_SECURITY_POLICY_DEV, CONTENT_SECURITY_POLICY_META, SECURITY_HEADERS } from './tools/web/security-headers.ts';

/** The built index.html carries the policy too, for hosts that send no headers at all. */
const cspMeta: Plugin = {
  name: 'edgefold-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [
    { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY_META }, injectTo: 'head-prepend' },
    { tag: 'meta', attrs: { name: 'referrer', content: 'no-referrer' }, injectTo: 'head-prepend' },
  ],
};

// Cross-origin isolation lets onnxruntime-web use wasm threads (SharedArrayBuffer); see tools/web/security-headers.ts.
export default defineConfig({
  plugins: [react(), cspMeta],
  server: { headers: { ...SECURITY_HEADERS, 'Content-Security-Policy': CONTENT_SECURITY_POLICY_DEV } },
  preview: { headers: SECURITY_HEADERS },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
});

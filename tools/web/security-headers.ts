/**
 * The HTTP headers the app needs from whatever serves it: cross-origin isolation (COOP/COEP, so
 * onnxruntime-web can use wasm threads) and a Content-Security-Policy with no remote origins.
 * One source for vite's dev and preview servers (vite.config.ts), the meta tag in the built
 * index.html, and the shipped public/_headers (checked against this file by a test).
 */

/** Directives allowed in a <meta> CSP (frame-ancestors only works as a header). */
const directives: [string, string][] = [
  ['default-src', "'self'"],
  // onnxruntime-web compiles its .wasm at run time: 'wasm-unsafe-eval', not 'unsafe-eval'.
  ['script-src', "'self' 'wasm-unsafe-eval'"],
  ['worker-src', "'self' blob:"],
  // React and recharts set style attributes.
  ['style-src', "'self' 'unsafe-inline'"],
  // Chart export draws the SVG through a data: URL.
  ['img-src', "'self' data: blob:"],
  ['font-src', "'self'"],
  ['connect-src', "'self' data: blob:"],
  ['object-src', "'none'"],
  ['base-uri', "'self'"],
  ['form-action', "'self'"],
];

const render = (list: [string, string][]) => list.map(([k, v]) => `${k} ${v}`).join('; ');

export const CONTENT_SECURITY_POLICY_META = render(directives);
export const CONTENT_SECURITY_POLICY = render([...directives, ['frame-ancestors', "'none'"]]);

/** Vite's dev server injects an inline React-refresh preamble and talks HMR over a local websocket. */
export const CONTENT_SECURITY_POLICY_DEV = render(
  directives.map(([k, v]): [string, string] =>
    k === 'script-src' ? [k, `${v} 'unsafe-inline'`] : k === 'connect-src' ? [k, `${v} ws://localhost:* ws://127.0.0.1:*`] : [k, v],
  ),
);

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export const SECURITY_HEADERS = {
  ...ISOLATION_HEADERS,
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** public/_headers (Netlify / Cloudflare Pages format): every path gets the headers. */
export function headersFile(): string {
  return ['# Written from tools/web/security-headers.ts; docs/deployment.md explains each header.', '/*', ...Object.entries(SECURITY_HEADERS).map(([k, v]) => `  ${k}: ${v}`), ''].join('\n');
}

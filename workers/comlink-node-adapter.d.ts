// comlink ships this file's types as node-adapter.d.ts, which TypeScript does not pair with the .mjs that Node needs.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  export { default } from 'comlink/dist/esm/node-adapter';
}

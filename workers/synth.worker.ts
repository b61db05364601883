/**
 * Synthesizes the current design's Verilog with YoWASP's Yosys (src/core/synth/yowasp.ts). The
 * wasm run blocks this thread until it ends: cancel and the time limit terminate the worker
 * (src/workers-client/synth.ts), and progress comes from inside the run (Yosys' pass names).
 */
import * as Comlink from 'comlink';
import type { SynthFamily } from '../src/core/synth/families.ts';
import { synthesizeWasm, yowaspVersion, type WasmSynthProgress, type WasmSynthRun } from '../src/core/synth/yowasp.ts';
import { reportingErrors } from './jobs.ts';

export interface SynthRequest {
  files: Record<string, string>;
  top: string;
  family: SynthFamily;
}

const api = {
  synthesize(request: SynthRequest, onProgress?: (p: WasmSynthProgress) => void): Promise<WasmSynthRun> {
    return reportingErrors(() => synthesizeWasm(request.files, request.top, request.family, { onProgress: onProgress ? (p) => void onProgress(p) : undefined }));
  },
  version(): Promise<string> {
    return reportingErrors(yowaspVersion);
  },
};

export type SynthWorkerApi = typeof api;

if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);

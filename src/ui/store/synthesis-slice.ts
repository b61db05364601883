/**
 * Synthesis of the current design in the app (issue 17): the accelerator's Verilog from the core
 * generator (evaluator worker), then YoWASP's Yosys in the synth worker, counted by families.ts.
 * Its own small store (not a slice of useApp): the result belongs to the design it was
 * synthesized for (`synthesisKey`), and the views show it as synthesized only while the current
 * design still has that key; otherwise it is stale.
 */
import { create } from 'zustand';
import { getDevice } from '../../core/hw/devices.ts';
import type { DesignMetrics } from '../../core/design/design.ts';
import { isAbortError } from '../../core/errors.ts';
import { FAMILIES, synthFamilyOf, type SynthCounts, type SynthFamily } from '../../core/synth/families.ts';
import { expectedSeconds, type ExpectedTime, type WallTimes } from '../../core/synth/wall-times.ts';
import wallTimes from '../../core/synth/wall-times.json';
import { acceleratorFilesInWorker } from '../../workers-client/evaluator.ts';
import { synthesizeInWorker } from '../../workers-client/synth.ts';
import { deriveDesign } from './derived.ts';
import { ensureQuantisedWidths } from './quantised-widths.ts';
import { calibrationData, labelMapping, useApp } from './index.ts';
import { measurementDataKey } from './measurement.ts';
import type { AppState } from './types.ts';

/** A run past this is stopped (the worker is terminated). */
export const SYNTH_TIME_LIMIT_MS = 45 * 60_000;

export interface SynthesizedDesign {
  /** synthesisKey of the design it was synthesized for. */
  key: string;
  family: SynthFamily;
  device: string;
  counts: SynthCounts;
  unmapped: Record<string, number>;
  seconds: number;
  /** "Yosys 0.55 (YoWASP 0.55.944)". */
  yosysVersion: string;
}

export interface SynthesisState {
  status: 'idle' | 'generating' | 'running' | 'done' | 'error';
  /** Key of the design being synthesized (while running). */
  runningKey: string | null;
  phase: string;
  passes: number;
  startedAt: number | null;
  result: SynthesizedDesign | null;
  error: string | null;
  start(): Promise<void>;
  cancel(): void;
}

/**
 * What the generated Verilog depends on: the model, the compression config, the calibration data
 * (requantiser constants), the device (DSP choices, vendor multiplier) and every layer's folding
 * and styles as the estimate has them. The clock and the budget change no gate.
 */
export function synthesisKey(state: Pick<AppState, 'model' | 'dataset' | 'design'>, metrics: DesignMetrics): string {
  return JSON.stringify({
    model: state.model?.sha256 ?? '',
    compression: state.design.compression,
    data: measurementDataKey(state, labelMapping),
    device: state.design.hardware.device,
    layers: metrics.estimate.layers.map((l) => [l.name, l.config]),
  });
}

export interface SynthesisPlan {
  family: SynthFamily | null;
  /** Why the device has no synthesis flow here (family null). */
  reason?: string;
  expected: ExpectedTime | null;
}

/** The family the current device synthesizes with, and what a run is expected to cost (from the bench). */
export function synthesisPlan(state: Pick<AppState, 'design' | 'customDevices'>, metrics: DesignMetrics): SynthesisPlan {
  let family: SynthFamily | null;
  try {
    family = synthFamilyOf(getDevice(state.design.hardware.device, state.customDevices));
  } catch {
    family = null;
  }
  if (!family) {
    return {
      family: null,
      reason: `Synthesis in the app covers Xilinx 7-series (${FAMILIES.xilinx.device}), Gowin GW2A (${FAMILIES.gowin.device}) and Anlogic EG4 (${FAMILIES.anlogic.device}); ${metrics.estimate.device.name} is none of them.`,
      expected: null,
    };
  }
  const lut = metrics.estimate.totals.lut;
  const expected = expectedSeconds(wallTimes as WallTimes, family, lut, 'chromium') ?? expectedSeconds(wallTimes as WallTimes, family, lut, 'node');
  return { family, expected };
}

let controller: AbortController | null = null;

export const useSynthesis = create<SynthesisState>()((set, get) => ({
  status: 'idle',
  runningKey: null,
  phase: '',
  passes: 0,
  startedAt: null,
  result: null,
  error: null,

  async start() {
    if (get().status === 'generating' || get().status === 'running') return;
    const app = useApp.getState();
    const first = deriveDesign(app);
    if (!app.model || !first.metrics) {
      set({ status: 'error', error: first.error ?? 'No model is open.' });
      return;
    }
    const plan = synthesisPlan(app, first.metrics);
    if (!plan.family) {
      set({ status: 'error', error: plan.reason ?? 'No synthesis flow for this device.' });
      return;
    }
    const family = plan.family;
    controller = new AbortController();
    const signal = controller.signal;
    set({ status: 'generating', runningKey: synthesisKey(app, first.metrics), phase: 'generating the Verilog', passes: 0, startedAt: Date.now(), error: null });
    try {
      // The estimate the Verilog follows (memory placement) counts the requantisers as generated.
      await ensureQuantisedWidths(app, signal);
      const { metrics, error } = deriveDesign(app);
      if (!metrics) throw new Error(error ?? 'The design has no estimate.');
      const key = synthesisKey(app, metrics);
      set({ runningKey: key });
      const design = await acceleratorFilesInWorker({
        modelBytes: app.model.bytes,
        inputShape: app.model.loaded.summary.inputs[0]?.shape ?? [],
        config: app.design.compression,
        calibration: calibrationData(app),
        estimate: metrics.estimate,
        vendorMultiplier: FAMILIES[family].vendorMultiplier,
        signal,
      });
      set({ status: 'running', phase: 'starting Yosys' });
      const run = await synthesizeInWorker({
        files: design.files,
        top: design.top,
        family,
        signal,
        timeLimitMs: SYNTH_TIME_LIMIT_MS,
        onProgress: (p) => set({ phase: p.phase, passes: p.passes }),
      });
      set({
        status: 'done',
        runningKey: null,
        result: { key, family, device: app.design.hardware.device, counts: run.counts, unmapped: run.unmapped, seconds: run.seconds, yosysVersion: run.yosysVersion },
      });
    } catch (e) {
      const cancelled = isAbortError(e) && signal.aborted;
      set({ status: cancelled ? 'idle' : 'error', runningKey: null, error: cancelled ? null : e instanceof Error ? e.message : String(e) });
    } finally {
      controller = null;
    }
  },

  cancel() {
    controller?.abort();
  },
}));

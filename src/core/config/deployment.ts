/**
 * The deployment config (version 1): the file the explorer exports and imports, and the heart of
 * what the rest of a user's flow consumes. Its JSON Schema is public/schema/deployment-config.v1.json
 * (used here for validation); docs/deployment-config.md explains the fields.
 */
import { badInput } from '../errors.ts';
import { validate } from './deployment-schema.generated.js';
import { checkJsonValue, checkNumber, LIMITS } from '../limits.ts';
import type { Design, DesignContext, DesignMetrics, RecoveryRecipe } from '../design/design.ts';
import { evaluateDesign } from '../design/design.ts';
import type { HwLayerConfig } from '../hw/config.ts';
import { validateDevice, type Device } from '../hw/devices.ts';
import { validateFolding } from '../hw/folding.ts';
import type { QuantReport } from '../quant/quantize.ts';
import type { RecoveryStepRecord } from '../transfer/recover.ts';
import { parseCompressionConfig, type CompressionConfig } from './compression.ts';

export const DEPLOYMENT_CONFIG_VERSION = 1;
export const EDGEFOLD_VERSION = '0.1.0';
export const DEPLOYMENT_SCHEMA_PATH = 'schema/deployment-config.v1.json';

export interface DeploymentConfig {
  $schema?: string;
  kind: 'edgefold-deployment-config';
  version: 1;
  edgefold: string;
  createdAt: string;
  name?: string;
  model: { name: string; file: string; sha256: string; params: number; macs: number; opset: number; inputs: { name: string; shape: (number | null)[] }[] };
  dataset: { name: string; split: string; images: number; calibrationSplit?: string; sha256?: string; preprocessing?: object; identity?: object };
  compression: CompressionConfig;
  prunePlan: { criterion: string; roundTo: number; groups: { group: string; producers: string[]; size: number; kept: number[] }[] };
  quantization: {
    format?: string;
    layers: {
      layer: string;
      weightBits: number;
      activationBits: number | null;
      granularity: string;
      scale: string;
      rounding: string;
      weightScales?: number[];
      weightFracBits?: number[];
      accumulatorBits?: number;
      activation?: object;
    }[];
  } | null;
  hardware: { device: string; customDevice?: Device; clockMHz: number; budget: number; layers: Record<string, HwLayerConfig> };
  estimates: {
    provenance: 'estimated';
    method: string;
    fps: number;
    latencyMs: number;
    maxCycles: number;
    bottleneck: string | null;
    resources: Record<string, { used: number; available: number | null; utilization: number | null }>;
    fits: boolean | null;
    powerW: number;
    powerRangeW: [number, number];
    gopsPerWatt: number;
    opsPerFrame: number;
    params: number;
    macs: number;
  };
  accuracy: { provenance: 'measured'; top1: number; top5: number; ci95: [number, number]; images: number; engine?: string } | null;
  /** Recovery steps applied after compression (bias correction, head re-fit), in order, each with its measured accuracy. */
  recovery: RecoveryStepRecord[];
  /** How the measured model was recovered (src/core/design/design.ts RecoveryRecipe), and its sha256. */
  recoveryRecipe?: RecoveryRecipe;
  recoveredSha256?: string;
}

export interface BuildInput {
  model: { name: string; file: string; sha256: string; context: DesignContext };
  design: Design;
  metrics: DesignMetrics;
  dataset: DeploymentConfig['dataset'];
  /** The compressed model's quantization report (weight scales, activation ranges), when it was built. */
  quantReport?: QuantReport | null;
  accuracy?: { top1: number; top5: number; ci95: [number, number]; n: number; engine?: string } | null;
  customDevices?: readonly Device[];
  name?: string;
  /** Recovery steps applied to the compressed model (src/core/transfer/recover.ts). */
  recovery?: readonly RecoveryStepRecord[];
  /** The design's recovery recipe and the sha256 of the model it produced, when the accuracy is of that model. */
  recoveryRecipe?: RecoveryRecipe;
  recoveredSha256?: string;
}

export function buildDeploymentConfig(input: BuildInput): DeploymentConfig {
  const { model, design, metrics } = input;
  const summary = model.context.summary;
  const e = metrics.estimate;
  const reports = new Map((input.quantReport?.layers ?? []).map((l) => [l.layer, l]));
  const custom = input.customDevices?.find((d) => d.id === design.hardware.device);
  const groups = new Map(model.context.analysis.groups.map((g) => [g.id, g]));
  return {
    $schema: DEPLOYMENT_SCHEMA_PATH,
    kind: 'edgefold-deployment-config',
    version: DEPLOYMENT_CONFIG_VERSION,
    edgefold: EDGEFOLD_VERSION,
    createdAt: new Date().toISOString(),
    ...(input.name ? { name: input.name } : {}),
    model: { name: model.name, file: model.file, sha256: model.sha256, params: summary.params, macs: summary.macs, opset: summary.opset, inputs: summary.inputs },
    dataset: input.dataset,
    compression: structuredClone(design.compression),
    prunePlan: {
      criterion: design.compression.prune?.criterion ?? 'l1',
      roundTo: design.compression.prune?.roundTo ?? 1,
      groups: metrics.resolved.plan.groups.map((g) => ({ group: g.group, producers: groups.get(g.group)?.producers ?? [], size: g.size, kept: [...g.keep] })),
    },
    quantization: Object.keys(metrics.resolved.quant).length
      ? {
          format: design.compression.quant?.format ?? 'float',
          layers: Object.entries(metrics.resolved.quant).map(([layer, spec]) => {
            const report = reports.get(layer);
            return {
              layer,
              weightBits: spec.weightBits,
              activationBits: spec.activationBits,
              granularity: spec.granularity,
              scale: spec.scale,
              rounding: spec.rounding,
              ...(report
                ? {
                    weightScales: report.weightScales,
                    ...(report.weightFracBits ? { weightFracBits: report.weightFracBits } : {}),
                    ...(report.accumulatorBits ? { accumulatorBits: report.accumulatorBits } : {}),
                    ...(report.activation ? { activation: report.activation } : {}),
                  }
                : {}),
            };
          }),
        }
      : null,
    hardware: {
      device: design.hardware.device,
      ...(custom ? { customDevice: custom } : {}),
      clockMHz: design.hardware.clockMHz,
      budget: design.hardware.budget,
      layers: Object.fromEntries(metrics.hwLayers.map((l, i) => [l.name, { ...metrics.folding[i] }])),
    },
    estimates: {
      provenance: 'estimated',
      method: 'edgefold analytical streaming-pipeline model (FINN cycle formulas; docs/hardware-model.md)',
      fps: e.fps,
      latencyMs: e.latency.ms,
      maxCycles: e.maxCycles,
      bottleneck: e.bottleneck?.layer ?? null,
      resources: Object.fromEntries(Object.entries(e.resources).map(([k, v]) => [k, { ...v }])),
      fits: e.fits,
      powerW: e.power.totalW,
      powerRangeW: e.power.rangeW,
      gopsPerWatt: e.gopsPerWatt,
      opsPerFrame: e.opsPerFrame,
      params: metrics.params,
      macs: metrics.macs,
    },
    accuracy: input.accuracy
      ? { provenance: 'measured', top1: input.accuracy.top1, top5: input.accuracy.top5, ci95: input.accuracy.ci95, images: input.accuracy.n, ...(input.accuracy.engine ? { engine: input.accuracy.engine } : {}) }
      : null,
    recovery: structuredClone([...(input.recovery ?? [])]),
    ...(input.recoveryRecipe ? { recoveryRecipe: structuredClone(input.recoveryRecipe) } : {}),
    ...(input.recoveredSha256 ? { recoveredSha256: input.recoveredSha256 } : {}),
  };
}

// Precompiled from the shipped schema (tools/web/compile-schema.ts): the app's CSP allows no run-time code generation.
const validateSchema = validate;

/** Checks a parsed JSON value against the shipped JSON Schema; the error names the offending field. */
export function parseDeploymentConfig(value: unknown): DeploymentConfig {
  checkJsonValue(value, 'Deployment config');
  if (!validateSchema(value)) {
    const err = validateSchema.errors?.[0];
    const path = err?.instancePath ? err.instancePath.slice(1).replace(/\//g, '.') : '(root)';
    const detail = err?.keyword === 'additionalProperties' ? `has an unknown field "${(err.params as { additionalProperty: string }).additionalProperty}"` : err?.message;
    throw badInput(`Deployment config: ${path} ${detail}.`, path);
  }
  const config = value as unknown as DeploymentConfig;
  parseCompressionConfig(config.compression);
  return config;
}

export interface ImportedDesign {
  design: Design;
  evalLimit: number;
  customDevice?: Device;
  metrics: DesignMetrics;
}

/**
 * Checks a deployment config against the open model and turns it back into a design. Another
 * model's config, an unknown layer or a folding the layers do not allow is a bad-input error that
 * names what is wrong; nothing is changed by a failed import.
 */
export function designFromDeploymentConfig(config: DeploymentConfig, model: { sha256: string; context: DesignContext }, customDevices: readonly Device[] = []): ImportedDesign {
  if (config.model.sha256 !== model.sha256) {
    throw badInput(
      `This config is for model "${config.model.name}" (sha256 ${config.model.sha256.slice(0, 12)}…), not the open model (sha256 ${model.sha256.slice(0, 12)}…). Open that model first.`,
      'model.sha256',
    );
  }
  checkNumber(config.hardware.clockMHz, 'hardware.clockMHz', LIMITS.range.clockMHz);
  checkNumber(config.hardware.budget, 'hardware.budget', LIMITS.range.budget);
  const customDevice = config.hardware.customDevice ? validateDevice(config.hardware.customDevice, 'hardware.customDevice') : undefined;
  const devices = customDevice ? [...customDevices.filter((d) => d.id !== customDevice.id), customDevice] : customDevices;
  const design: Design = {
    compression: structuredClone(config.compression),
    hardware: { device: config.hardware.device, clockMHz: config.hardware.clockMHz, budget: config.hardware.budget, layers: structuredClone(config.hardware.layers) },
    ...(config.recoveryRecipe ? { recovery: structuredClone(config.recoveryRecipe) } : {}),
  };
  const metrics = evaluateDesign(model.context, { ...design, hardware: { ...design.hardware, layers: {} } }, devices);
  validateFolding(metrics.hwLayers, design.hardware.layers);
  return { design, evalLimit: config.dataset.images, customDevice, metrics: evaluateDesign(model.context, design, devices) };
}

/** FINN's folding config format (one entry per hardware layer: PE, SIMD, ram_style, resType), keyed by our layer names. */
export function finnFoldingConfig(metrics: DesignMetrics): Record<string, Record<string, unknown>> {
  const ramStyle = { auto: 'auto', bram: 'block', lutram: 'distributed', uram: 'ultra' } as const;
  const out: Record<string, Record<string, unknown>> = { Defaults: {} };
  metrics.hwLayers.forEach((layer, i) => {
    if (!layer.mappable) return;
    const cfg = metrics.folding[i];
    const engine = layer.engines[layer.main]?.kind;
    const entry: Record<string, unknown> = { op: engine === 'vvau' ? 'VVAU' : engine === 'mvau' ? 'MVAU' : engine, PE: cfg.pe };
    if (engine === 'mvau' || engine === 'vvau') {
      entry.SIMD = cfg.simd;
      entry.ram_style = ramStyle[cfg.memStyle];
      entry.resType = cfg.mulStyle === 'auto' ? 'auto' : cfg.mulStyle;
    }
    out[layer.name] = entry;
  });
  return out;
}

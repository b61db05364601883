/** Sweep results as CSV (`layer,kind,value,top1,top5,loss,n`, Distiller-like) and JSON, and reading them back. */
import { badInput } from '../errors.ts';
import { SWEEP_KINDS, type SweepResult } from './types.ts';

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One row per complete point; skipped points (early stop) are left out. */
export function sweepToCsv(result: SweepResult): string {
  const rows = ['layer,kind,value,top1,top5,loss,n'];
  for (const p of result.points) {
    if (p.status !== 'complete' || !p.metrics) continue;
    const m = p.metrics;
    rows.push([csvField(p.layer), p.kind, String(p.value), m.top1.toFixed(6), m.top5.toFixed(6), m.loss.toFixed(6), String(m.n)].join(','));
  }
  return rows.join('\n') + '\n';
}

export const sweepToJson = (result: SweepResult): string => JSON.stringify(result, null, 2) + '\n';

/** Parses and checks a sweep JSON document (the CLI's --sweep file, an upload in the UI). */
export function parseSweepResult(value: unknown, fileName = 'sweep'): SweepResult {
  const r = value as SweepResult;
  const fail = (what: string) => badInput(`${fileName} is not an edgefold sensitivity result: ${what}.`, fileName);
  if (!r || typeof r !== 'object') throw fail('not a JSON object');
  if (r.format !== 'edgefold-sensitivity') throw fail('"format" is not "edgefold-sensitivity"');
  if (r.version !== 1) throw fail(`version ${JSON.stringify(r.version)} is not 1`);
  if (!r.baseline || typeof r.baseline.top1 !== 'number') throw fail('no baseline accuracy');
  if (!Array.isArray(r.points) || !Array.isArray(r.groups) || !Array.isArray(r.layers)) throw fail('points, groups or layers missing');
  if (!r.settings || !r.settings.scheme) throw fail('settings missing');
  const hosts = r.stats?.hosts;
  if (hosts !== undefined && (!Array.isArray(hosts) || hosts.length > 100_000 || !hosts.every((h) => typeof h === 'string' && h.length <= 255))) throw fail('"stats.hosts" is not a list of host names');
  for (const p of r.points) {
    if (!SWEEP_KINDS.includes(p.kind)) throw fail(`unknown point kind "${p.kind}"`);
    if (p.status === 'complete' && (!p.metrics || typeof p.metrics.top1 !== 'number')) throw fail(`point ${p.kind} ${p.target} ${p.value} has no metrics`);
  }
  return r;
}

/**
 * Where measured numbers come from, in words: "measured on 3 hosts (job queue), engine native,
 * 10,000 images". `hosts`: the machines of a job-queue run; absent for a run on one machine.
 */
export function measuredProvenance(hosts: readonly string[] | undefined, engine: string, images: number): string {
  const where = hosts ? `on ${hosts.length} host${hosts.length === 1 ? '' : 's'} (job queue)` : 'on this machine';
  return `measured ${where}, engine ${engine}, ${images.toLocaleString('en-US')} images`;
}

/** Where a sweep's numbers come from (see measuredProvenance). */
export function sweepProvenance(result: SweepResult): string {
  return measuredProvenance(result.stats?.hosts, result.engine, result.data.n);
}

/**
 * A sweep read from a file (a run on other hosts, an earlier export) applies to the open model
 * only when it was measured on exactly these bytes: its model hash is the sha256 of the file.
 */
export function sweepForModel(result: SweepResult, modelSha256: string, fileName = 'sweep'): SweepResult {
  if (result.model.hash !== modelSha256) {
    throw badInput(
      `${fileName} was measured on model "${result.model.name}" (sha256 ${result.model.hash.slice(0, 12)}…), not on the open model (sha256 ${modelSha256.slice(0, 12)}…). Open that model first.`,
      fileName,
    );
  }
  return result;
}

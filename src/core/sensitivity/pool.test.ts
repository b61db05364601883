/**
 * The CLI path: `edgefold sensitivity` on the worker-thread pool with the directory cache, and
 * `edgefold allocate` on its output. (Lives here with the other sweep tests; it drives src/cli.)
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, defaultModelMissing } from '../../../test/fixtures.ts';
import { main } from '../../cli/main.ts';
import { readDataset } from '../../cli/io.ts';
import { parseCompressionConfig } from '../config/compression.ts';
import { parseSweepResult, runSweepLocal, type PointResult } from './index.ts';

ort.env.wasm.numThreads = 1;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

const strip = (points: PointResult[]) => points.map(({ cached: _c, ...p }) => p);

describe.skipIf(defaultModelMissing)('edgefold sensitivity / allocate (worker threads, cache directory)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgefold-sens-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const args = ['sensitivity', DEFAULT_MODEL, '--prune', '0,0.5', '--groups', '/blocks/blocks.4/pw/conv/Conv', '--bits', '4', '--layers', '/fc/Gemm,/blocks/blocks.5/dw/conv/Conv', '--limit', '60', '--batch', '30', '--workers', '2', '--cache-dir', join(dir, 'cache'), '-q'];

  it('runs on two worker threads with the numbers of an in-process sweep, caches them, and feeds allocate', async () => {
    const first = capture();
    expect(await main([...args, '-o', join(dir, 'a.json')], first.io)).toBe(0);
    const a = parseSweepResult(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')));
    expect(a.stats.workers).toBe(2);
    expect(a.stats.evaluated).toBe(4);
    expect(readdirSync(join(dir, 'cache')).filter((f) => f.endsWith('.json'))).toHaveLength(4);

    const local = await runSweepLocal(ort, new Uint8Array(readFileSync(DEFAULT_MODEL)), await readDataset(), {
      prune: { ratios: [0, 0.5], groups: ['/blocks/blocks.4/pw/conv/Conv'] },
      weightBits: { bits: [4], layers: ['/fc/Gemm', '/blocks/blocks.5/dw/conv/Conv'] },
      limit: 60,
      batchSize: 30,
    });
    expect(strip(a.points)).toEqual(strip(local.points));

    const second = capture();
    expect(await main([...args, '--csv'], second.io)).toBe(0);
    const csv = second.out.join('\n').trim().split('\n');
    expect(csv[0]).toBe('layer,kind,value,top1,top5,loss,n');
    expect(csv).toHaveLength(5);
    expect(csv[2]).toBe(`/blocks/blocks.4/pw/conv/Conv,prune,0.5,${a.points[1].metrics!.top1.toFixed(6)},${a.points[1].metrics!.top5.toFixed(6)},${a.points[1].metrics!.loss.toFixed(6)},60`);

    const alloc = capture();
    expect(await main(['allocate', DEFAULT_MODEL, '--sweep', join(dir, 'a.json'), '--max-drop', '2', '--no-measure', '-o', join(dir, 'cfg.json')], alloc.io)).toBe(0);
    parseCompressionConfig(JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8')));
    expect(alloc.out.join('\n')).toMatch(/predicted/);
    const bad = capture();
    expect(await main(['allocate', DEFAULT_MODEL, '--sweep', join(dir, 'a.json')], bad.io)).toBe(2);
    expect(bad.err.join('\n')).toMatch(/--max-drop/);
  });
});

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frontierProvenance, parseFrontierFile, parseRetrainFile, resultForModel, retrainProvenance } from './result-files.ts';

// Real CLI output through the job queue (e2e/fixtures/README.md says how it was made).
const read = (name: string) => JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../e2e/fixtures', name), 'utf8'));

describe('result files from the CLI', () => {
  it('reads a frontier and a retraining result with where they were measured', () => {
    const frontier = parseFrontierFile(read('frontier-queue.json'));
    expect(frontier.points).toHaveLength(2);
    expect(frontierProvenance(frontier)).toBe('measured on 1 host (job queue), engine native, 100 images');
    expect(frontierProvenance({ ...frontier, hosts: undefined })).toBe('measured on this machine, engine native, 100 images');
    const retrain = parseRetrainFile(read('retrain-queue.json'));
    expect(retrainProvenance({ ...retrain, hosts: ['a', 'b', 'c'], accuracy: { ...retrain.accuracy!, after: { ...retrain.accuracy!.after, n: 10_000 } } })).toBe('measured on 3 hosts (job queue), engine native, 10,000 images');
    expect(() => resultForModel(frontier, 'f'.repeat(64), 'x.json')).toThrow(/x.json was made from another model/);
  });

  it('refuses a wrong format, out-of-range numbers, a bad design and a result with nothing measured, naming the field', () => {
    const f = read('frontier-queue.json');
    const r = read('retrain-queue.json');
    expect(() => parseFrontierFile(r, 'r.json')).toThrow(/r.json is not an edgefold frontier result.*"format" is not "edgefold-frontier"/);
    expect(() => parseFrontierFile({ ...f, version: 2 })).toThrow(/version 2 is not 1/);
    expect(() => parseFrontierFile({ ...f, hosts: [1] })).toThrow(/hosts\[0\]/);
    const point = f.points[0];
    expect(() => parseFrontierFile({ ...f, points: [{ ...point, fps: -1 }] })).toThrow(/points\[0\].fps must be a number from 0/);
    expect(() => parseFrontierFile({ ...f, points: [{ ...point, design: { ...point.design, hardware: { ...point.design.hardware, clockMHz: 1e9 } } }] })).toThrow(/hardware.clockMHz/);
    expect(() => parseFrontierFile({ ...f, points: [{ ...point, design: { ...point.design, compression: { version: 1, prune: { ratio: 5 } } } }] })).toThrow(/points\[0\].design.compression/);
    expect(() => parseFrontierFile({ ...f, front: [9] })).toThrow(/front\[0\]/);
    const { accuracy, ...unmeasured } = r;
    void accuracy;
    expect(() => parseRetrainFile(unmeasured)).toThrow(/no accuracy/);
    expect(() => parseRetrainFile({ ...r, sha256: 'model.onnx' })).toThrow(/sha256 must be a sha256/);
  });
});

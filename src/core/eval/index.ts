export * from './metrics.ts';
export * from './dataset.ts';
export * from './evaluate.ts';
export * from './ort-runner.ts';

import { badInput, EdgefoldError } from '../../core/errors.ts';
import { evaluate } from '../../core/eval/evaluate.ts';
import { createOrtRunner } from '../../core/eval/ort-runner.ts';
import type { Command } from '../command.ts';
import { intOption, readDataset, readModelArg } from '../io.ts';
import { loadOrt, type EngineName } from '../ort.ts';
import { QueueClient } from '../queue/client.ts';
import { parseQueueUrl, readQueueCa } from '../queue/connection.ts';

const pct = (x: number) => (100 * x).toFixed(2);

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Measure top-1/top-5 accuracy with onnxruntime on a dataset (bundled Fashion-MNIST test set by default).',
  usage: 'edgefold eval <model.onnx> [--data <manifest.json>] [--split test] [--limit N] [--batch N] [--engine wasm|native] [--queue redis[s]://host:port [--queue-ca ca.pem]] [--json]',
  options: {
    data: { type: 'string' },
    split: { type: 'string' },
    limit: { type: 'string' },
    batch: { type: 'string' },
    engine: { type: 'string' },
    json: { type: 'boolean' },
    queue: { type: 'string' },
    'queue-ca': { type: 'string' },
  },
  async run([path], values, io) {
    const engine = (values.engine ?? 'wasm') as EngineName;
    if (engine !== 'wasm' && engine !== 'native') throw badInput(`--engine must be "wasm" or "native", got "${engine}".`, 'engine');
    const limit = intOption(values.limit, 'limit');
    const batchSize = intOption(values.batch, 'batch');
    const { bytes, loaded } = await readModelArg(path);
    const data = await readDataset(values.data as string | undefined, (values.split as string | undefined) ?? 'test');
    const input = loaded.summary.inputs[0];
    const queueUrl = values.queue === undefined ? undefined : parseQueueUrl(values.queue as string);
    let result;
    if (queueUrl) {
      const client = await QueueClient.open(queueUrl, engine, undefined, await readQueueCa(values['queue-ca'] as string | undefined, queueUrl));
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        const cancelled = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new EdgefoldError('cancelled', 'Cancelled.')), { once: true }));
        result = await Promise.race([client.evaluate(bytes, data, { limit, batchSize }), cancelled]).catch(async (error: unknown) => {
          await client.cancelAll();
          throw error;
        });
      } finally {
        process.off('SIGINT', onSigint);
        await client.close();
      }
    } else {
      const runner = await createOrtRunner(await loadOrt(engine), bytes);
      try {
        result = await evaluate(runner, data, input.shape, { limit, batchSize });
      } finally {
        await runner.release();
      }
    }
    if (values.json) {
      const { confusion, perClass, ...rest } = result;
      io.out(JSON.stringify({ model: loaded.summary.name, engine, ...rest, perClass, confusion }, null, 2));
    } else {
      io.out(
        [
          `model     ${loaded.summary.name}`,
          `data      ${data.name} (${data.split}), ${result.n} images`,
          `top-1     ${pct(result.top1)} %  (95 % CI ${pct(result.ci95[0])} - ${pct(result.ci95[1])})`,
          `top-5     ${pct(result.top5)} %`,
          `loss      ${result.loss.toFixed(4)}`,
          `speed     ${result.imagesPerSecond.toFixed(0)} images/s (onnxruntime ${engine}${queueUrl ? ', on a queue worker' : ''})`,
        ].join('\n'),
      );
    }
    return 0;
  },
};

import { availableParallelism } from 'node:os';
import { badInput } from '../../core/errors.ts';
import type { Command } from '../command.ts';
import { intOption } from '../io.ts';
import { defaultBlobCacheDir } from '../queue/blobs.ts';
import { parseQueueUrl, readQueueCa, redactUrl, type QueueEngine } from '../queue/connection.ts';
import { DEFAULT_LOCK_MS, runQueueWorker } from '../queue/worker.ts';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Take sweep and evaluation jobs from a Redis job queue (BullMQ) and run them; see docs/queue.md.',
  usage: 'edgefold worker --queue redis://[user:password@]host:port[/db] [--concurrency N] [--engine native|wasm] [--lock-ms 30000] [--cache-dir DIR] [--cache-mb 2048] [--queue-ca ca.pem]',
  options: {
    queue: { type: 'string' },
    concurrency: { type: 'string' },
    engine: { type: 'string' },
    'lock-ms': { type: 'string' },
    'cache-dir': { type: 'string' },
    'cache-mb': { type: 'string' },
    'queue-ca': { type: 'string' },
  },
  async run(_positionals, values, io) {
    const url = parseQueueUrl(values.queue as string | undefined);
    const engine = (values.engine ?? 'wasm') as QueueEngine;
    if (engine !== 'wasm' && engine !== 'native') throw badInput(`--engine must be "native" or "wasm", got "${engine}".`, 'engine');
    const concurrency = intOption(values.concurrency, 'concurrency') ?? availableParallelism();
    const lockDurationMs = intOption(values['lock-ms'], 'lock-ms', 1000) ?? DEFAULT_LOCK_MS;
    const ca = await readQueueCa(values['queue-ca'] as string | undefined, url);
    const cacheBytes = (intOption(values['cache-mb'], 'cache-mb', 0) ?? 2048) * 2 ** 20;
    const stop = new AbortController();
    // The first signal lets running jobs finish; a second one ends the process at once (their jobs then restart elsewhere).
    const onSignal = () => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    io.err(`edgefold worker: connecting to ${redactUrl(url)}`);
    try {
      await runQueueWorker(
        { url, engine, concurrency, lockDurationMs, cacheDir: (values['cache-dir'] as string | undefined) ?? defaultBlobCacheDir(), cacheBytes, ca },
        (line) => io.err(line),
        stop.signal,
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  },
};

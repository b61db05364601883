/**
 * Redis connections and key names of the job queue (BullMQ over Redis). Node only: the CLI's
 * `--queue` clients and `edgefold worker` use it; src/core never does. See docs/queue.md.
 */
import { readFile, stat } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { badInput } from '../../core/errors.ts';
import { quote } from '../../core/limits.ts';

export type QueueEngine = 'wasm' | 'native';

/** Every key edgefold writes starts with this (BullMQ's own keys too, as its `prefix`). */
export const KEY_PREFIX = 'edgefold';
/** One BullMQ queue per engine: a wasm worker never takes a native job (the engines differ in the last bits). */
export const queueName = (engine: QueueEngine): string => `jobs-${engine}`;
/** Clients publish `{ owner }` here on Ctrl-C; workers abort that owner's running jobs. */
export const CANCEL_CHANNEL = `${KEY_PREFIX}:cancel`;
/** Exists while a client is alive (refreshed by it, with a time-to-live): workers drop jobs whose owner key is gone. */
export const ownerKey = (owner: string): string => `${KEY_PREFIX}:owner:${owner}`;
/** A hash of live workers per engine: field = worker id, value = "concurrency expiresAtMs". */
export const workersKey = (engine: QueueEngine): string => `${KEY_PREFIX}:workers:${engine}`;

/** Checks a `--queue` URL: redis:// or rediss:// (TLS) with a host; user, password, port and db are optional. */
export function parseQueueUrl(text: string | undefined): string {
  if (!text) throw badInput('--queue needs a Redis URL, e.g. redis://127.0.0.1:6379.', 'queue');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badInput(`--queue ${quote(text)} is not a URL (expected redis://[user:password@]host:port[/db]).`, 'queue');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw badInput(`--queue must be a redis:// or rediss:// URL, got ${quote(url.protocol)}.`, 'queue');
  if (!url.hostname) throw badInput('--queue: the URL names no host.', 'queue');
  const db = url.pathname.replace(/^\//, '');
  if (db && !/^\d{1,2}$/.test(db)) throw badInput(`--queue: the database must be a number (redis://host:port/0), got ${quote(db)}.`, 'queue');
  return text;
}

/** A URL for messages: the password is never printed. */
export function redactUrl(text: string): string {
  const url = new URL(text);
  if (url.password) url.password = '***';
  return url.toString();
}

/** Largest CA file --queue-ca reads (a bundle of a few hundred certificates). */
const MAX_CA_BYTES = 1 << 20;

/**
 * The CA that signed a rediss:// server's certificate when it is not one Node trusts already
 * (a private CA): `--queue-ca FILE`, else the environment variable EDGEFOLD_QUEUE_CA. PEM, at
 * most 1 MiB. NODE_EXTRA_CA_CERTS works as well (Node reads it at start-up).
 */
export async function readQueueCa(file: string | undefined, url: string): Promise<string | undefined> {
  const path = file ?? (process.env.EDGEFOLD_QUEUE_CA || undefined);
  if (path === undefined) return undefined;
  const option = file !== undefined ? '--queue-ca' : 'EDGEFOLD_QUEUE_CA';
  if (new URL(url).protocol !== 'rediss:') throw badInput(`${option} is for TLS: use a rediss:// URL (got ${quote(redactUrl(url))}).`, 'queue-ca');
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw badInput(`${option} ${quote(path)}: no such file.`, 'queue-ca');
  if (info.size > MAX_CA_BYTES) throw badInput(`${option} ${quote(path)} is ${info.size} bytes; a CA file is at most ${MAX_CA_BYTES}.`, 'queue-ca');
  const text = await readFile(path, 'utf8');
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw badInput(`${option} ${quote(path)} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`, 'queue-ca');
  return text;
}

/**
 * An ioredis connection as BullMQ needs it: commands wait across reconnects instead of failing
 * (maxRetriesPerRequest null), so a Redis restart pauses the sweep rather than ending it.
 * `ca`: trusted for a rediss:// URL (ioredis turns TLS on for rediss:// by itself).
 */
export function connect(url: string, name: string, ca?: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: name, retryStrategy: (times) => Math.min(200 * times, 2000), ...(ca ? { tls: { ca } } : {}) });
  // ioredis reconnects by itself; without a listener an 'error' event would end the process.
  redis.on('error', () => {});
  return redis;
}

/**
 * Resolves once `redis` answers a PING; rejects after `timeoutMs` with the last connection error
 * (a wrong password, an untrusted certificate, no server), instead of retrying in silence.
 */
export async function reachable(redis: Redis, url: string, timeoutMs = 20_000): Promise<void> {
  let last = '';
  const onError = (error: Error) => (last = error.message);
  redis.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(badInput(`Could not reach Redis at ${redactUrl(url)} in ${timeoutMs / 1000} s${last ? `: ${last}` : ''}.`, 'queue')), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    redis.off('error', onError);
  }
}

/**
 * rediss:// end to end: a real redis-server listening for TLS only, with a throwaway CA and
 * server certificate made by openssl in a temporary directory at test time; a real `edgefold
 * worker` (CA from EDGEFOLD_QUEUE_CA) and a real `edgefold eval --queue rediss://... --queue-ca`.
 * Skipped, saying why, without redis-server, openssl, or a redis-server built with TLS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, defaultModelMissing } from '../../../test/fixtures.ts';
import { redisMissing, redisSkipReason, startRedis, type RedisServer } from '../../../tools/redis-server.ts';
import { connect, reachable, readQueueCa } from './connection.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/edgefold.mjs');
const opensslMissing = spawnSync('openssl', ['version']).status !== 0;

/** A CA, and a server certificate for 127.0.0.1 signed by it (one day, RSA 2048). */
function makeCertificates(dir: string) {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=edgefold test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'server.ext']);
  return { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt') };
}

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, log: () => text };
}

const skipReason = redisMissing ? redisSkipReason : opensslMissing ? 'openssl is not installed (to make a throwaway CA)' : defaultModelMissing ? 'the default model is missing' : '';
if (skipReason) console.warn(`rediss:// tests skipped: ${skipReason}`);

describe.skipIf(!!skipReason)('the queue over rediss:// (TLS), with a private CA', () => {
  let tmp = '';
  let redis: RedisServer | undefined;
  let noTls = '';
  let worker: { child: ChildProcess; exited: Promise<number | null>; log: () => string } | undefined;
  let ca = '';

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'edgefold-tls-'));
    const tls = makeCertificates(tmp);
    ca = tls.caFile;
    try {
      redis = await startRedis({ tls });
    } catch (error) {
      // Debian's redis-server is built with TLS; one built without says so and exits.
      if (!/tls|TLS/.test((error as Error).message)) throw error;
      noTls = `this redis-server has no TLS support: ${(error as Error).message.split('\n').find((l) => /tls/i.test(l))}`;
      console.warn(`rediss:// tests skipped: ${noTls}`);
      return;
    }
    // The worker takes its CA from the environment, the client below from --queue-ca: both ways work.
    worker = run(['worker', '--queue', redis.url, '--concurrency', '1', '--engine', 'wasm', '--cache-dir', join(tmp, 'cache')], { EDGEFOLD_QUEUE_CA: ca });
    const w = worker;
    const started = await new Promise<boolean>((done) => {
      const timer = setInterval(() => {
        if (/taking wasm jobs/.test(w.log()) || w.child.exitCode !== null) {
          clearInterval(timer);
          done(w.child.exitCode === null);
        }
      }, 100);
    });
    if (!started) throw new Error(`the worker exited: ${w.log()}`);
  }, 90_000);

  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      process.kill(worker.child.pid!, 'SIGTERM');
      await worker.exited;
    }
    await redis?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('eval --queue rediss://... --queue-ca prints the same evaluation as a local eval', async (ctx) => {
    if (noTls) ctx.skip();
    const args = ['eval', DEFAULT_MODEL, '--limit', '100', '--json'];
    const [here, queued] = [run(args), run([...args, '--queue', redis!.url, '--queue-ca', ca])];
    expect(await here.exited, here.log()).toBe(0);
    expect(await queued.exited, queued.log()).toBe(0);
    const strip = (text: string) => {
      const { imagesPerSecond, seconds, ...rest } = JSON.parse(text) as Record<string, unknown>;
      expect(imagesPerSecond).toBeGreaterThan(0);
      expect(seconds).toBeGreaterThan(0);
      return rest;
    };
    const a = strip(here.log());
    expect(a.n).toBe(100);
    expect(strip(queued.log())).toEqual(a);
    expect(worker!.log()).toMatch(/done in/);
  }, 120_000);

  it('without the CA the connection is refused with the certificate error, not retried in silence', async (ctx) => {
    if (noTls) ctx.skip();
    const untrusted = connect(redis!.url, 'edgefold-test-untrusted');
    try {
      await expect(reachable(untrusted, redis!.url, 3000)).rejects.toThrow(/Could not reach Redis at rediss:\/\/127\.0\.0\.1:\d+\/? in 3 s: .*(self[- ]signed|unable to (get|verify))/);
    } finally {
      untrusted.disconnect();
    }
    const trusted = connect(redis!.url, 'edgefold-test-trusted', await readQueueCa(ca, redis!.url));
    try {
      await reachable(trusted, redis!.url, 10_000);
    } finally {
      trusted.disconnect();
    }
  }, 30_000);
});

describe('--queue-ca', () => {
  it('is for rediss:// only, and must be a PEM file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgefold-ca-'));
    try {
      const notPem = join(dir, 'x.pem');
      writeFileSync(notPem, 'hello');
      await expect(readQueueCa(notPem, 'redis://127.0.0.1:6379')).rejects.toThrow(/--queue-ca is for TLS: use a rediss:\/\/ URL/);
      await expect(readQueueCa(notPem, 'rediss://127.0.0.1:6379')).rejects.toThrow(/holds no PEM certificate/);
      await expect(readQueueCa(join(dir, 'missing.pem'), 'rediss://127.0.0.1:6379')).rejects.toThrow(/no such file/);
      expect(await readQueueCa(undefined, 'redis://127.0.0.1:6379')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A real redis-server for tests and benches: a free loopback port, a temporary directory, no
 * password (loopback only), stopped by its own process id. `restart` keeps the port and the
 * directory, so with `appendonly` the data survives it. With `tls` it listens for TLS only
 * (rediss://), on the certificate and key given (clients need not present one).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

export const redisMissing = spawnSync('redis-server', ['--version']).status !== 0;
export const redisSkipReason = 'redis-server is not installed (apt-get install redis-server; npm test ensures it)';

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  pid(): number | undefined;
  /** SIGTERM (Redis writes its append-only file and exits), then start again on the same port and directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function waitForExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

export interface RedisTls {
  certFile: string;
  keyFile: string;
  caFile: string;
}

export async function startRedis(options: { appendonly?: boolean; tls?: RedisTls } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'edgefold-redis-'));
  let child: ChildProcess | undefined;
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const { tls } = options;
      const listen = tls
        ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no']
        : ['--port', String(port)];
      const args = [...listen, '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--appendonly', options.appendonly ? 'yes' : 'no', '--maxmemory-policy', 'noeviction'];
      const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let log = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start in 20 s:\n${log}`)), 20_000);
      proc.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (/Ready to accept connections/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${log}`));
      });
    });
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = waitForExit(child);
    process.kill(child.pid!, 'SIGTERM');
    await exited;
  };
  await launch();
  return {
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    port,
    dir,
    pid: () => child?.pid,
    restart: async () => {
      await stop();
      await launch();
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `edgefold` CLI processes for tests (the job-queue tests): started with their output collected,
 * stopped by their own process id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../bin/edgefold.mjs');

export interface Proc {
  child: ChildProcess;
  log: () => string;
  /** Standard output alone. */
  out: () => string;
  exited: Promise<number | null>;
  /** Resolves once the output after character `from` matches. */
  waitFor: (pattern: RegExp, from?: number, timeoutMs?: number) => Promise<void>;
}

export function start(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let stdout = '';
  const waiters: { pattern: RegExp; from: number; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of [...waiters]) {
      if (!w.pattern.test(text.slice(w.from))) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onData(chunk);
  });
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    log: () => text,
    out: () => stdout,
    exited,
    waitFor: (pattern, from = 0, timeoutMs = 60_000) =>
      pattern.test(text.slice(from))
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}:\n${text.slice(-2000)}`)), timeoutMs);
            waiters.push({ pattern, from, resolve: () => (clearTimeout(timer), resolve()) });
          }),
  };
}

export async function stopProc(p: Proc, signal: NodeJS.Signals = 'SIGTERM') {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  process.kill(p.child.pid!, signal);
  const done = await Promise.race([p.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 15_000))]);
  if (!done) {
    process.kill(p.child.pid!, 'SIGKILL');
    await p.exited;
  }
}


import { afterEach, describe, expect, it } from 'vitest';
import { giveWayWhile, nextMacrotask, setYieldGate } from './yield.ts';

afterEach(() => setYieldGate(undefined));

describe('yield points that give way to the page', () => {
  it('wait while the flag is raised and go on once it is lowered', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    setYieldGate(giveWayWhile(flag, { pollMs: 2, maxWaitMs: 10_000 }));
    Atomics.store(flag, 0, 1);
    let passed = false;
    const turn = nextMacrotask().then(() => (passed = true));
    await new Promise((r) => setTimeout(r, 40));
    expect(passed).toBe(false);
    Atomics.store(flag, 0, 0);
    await turn;
    expect(passed).toBe(true);
  });

  it('never wait longer than maxWaitMs in one turn', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(flag, 0, 1);
    setYieldGate(giveWayWhile(flag, { pollMs: 2, maxWaitMs: 30 }));
    let passed = false;
    const turn = nextMacrotask().then(() => (passed = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(passed).toBe(false);
    await turn; // the flag stays raised: the bound lets it through
    expect(passed).toBe(true);
  });
});

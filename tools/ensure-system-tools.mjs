#!/usr/bin/env node
// The tests use Debian's own tools (Chromium, the HDL simulators, Yosys, Redis), never
// binaries downloaded by a test tool. Installs missing ones with apt when we are root;
// otherwise says what to run. Usage: node tools/ensure-system-tools.mjs [name ...]
// (no names: every tool below).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** name -> binary the tests run, and the Debian package that provides it. */
const TOOLS = {
  chromium: { binary: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', aptPackage: 'chromium' },
  iverilog: { binary: '/usr/bin/iverilog', aptPackage: 'iverilog' },
  verilator: { binary: '/usr/bin/verilator', aptPackage: 'verilator' },
  yosys: { binary: '/usr/bin/yosys', aptPackage: 'yosys' },
  'redis-server': { binary: '/usr/bin/redis-server', aptPackage: 'redis-server' },
};

const requested = process.argv.slice(2);
for (const name of requested) {
  if (!(name in TOOLS)) {
    console.error(`edgefold tests: unknown system tool "${name}" (known: ${Object.keys(TOOLS).join(', ')})`);
    process.exit(2);
  }
}
const names = requested.length > 0 ? requested : Object.keys(TOOLS);
const missing = names.filter((name) => !existsSync(TOOLS[name].binary));
if (missing.length === 0) process.exit(0);

const packages = missing.map((name) => TOOLS[name].aptPackage);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(
    `edgefold tests: missing ${missing.map((name) => `${name} (${TOOLS[name].binary})`).join(', ')}.\n` +
      `Install them from Debian first:  sudo apt-get install -y ${packages.join(' ')}\n` +
      '(or point CHROMIUM_PATH at a Chromium binary), then run the tests again.',
  );
  process.exit(1);
}
console.log(`edgefold tests: installing ${packages.join(' ')} with apt-get...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
const stillMissing = missing.filter((name) => !existsSync(TOOLS[name].binary));
if (stillMissing.length > 0) {
  console.error(`edgefold tests: apt-get finished but ${stillMissing.map((name) => TOOLS[name].binary).join(', ')} still missing.`);
  process.exit(1);
}

#!/usr/bin/env node
// End-to-end tests use Debian's chromium, never a browser downloaded by a test tool.
// Installs it with apt when missing and we are root; otherwise says what to do.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(
    `edgefold e2e: Chromium not found at ${path}.\n` +
      'Install Debian\'s chromium first:  sudo apt-get install -y chromium\n' +
      'or point CHROMIUM_PATH at a Chromium binary, then run the tests again.',
  );
  process.exit(1);
}
console.log('edgefold e2e: installing Debian chromium (apt-get install -y chromium)...');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-q', 'chromium'], { stdio: 'inherit', env });
if (!existsSync(path)) {
  console.error(`edgefold e2e: apt-get finished but ${path} is still missing.`);
  process.exit(1);
}

#!/usr/bin/env node
// Builds genlab's native TF.js backend (native/src/*.cc, linked against oneDNN) with node-gyp. Run by
// `npm install` / `npm ci` (the package's `install` script) and by hand: `node native/build.mjs`.
// It never fails the install: without a C++ compiler or oneDNN (Debian: `apt-get install libdnnl-dev`) it prints one
// line and exits 0, and genlab uses the wasm backend. Its verdict goes to native/build/status.json, which the engine
// and test/engine-native.test.ts read: { built, library, reason }. `library` is null when no oneDNN header was found
// (the tests then skip the native kernels); when the header was found but the build failed, the tests fail.
// GENLAB_NATIVE=0 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const buildDir = join(here, 'build');
const addon = join(buildDir, 'Release', 'genlab_native.node');
const statusFile = join(buildDir, 'status.json');
const logFile = join(buildDir, 'build.log');

function finish(status) {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(statusFile, JSON.stringify({ ...status, date: new Date().toISOString() }, null, 2) + '\n');
  if (status.built) console.log(`genlab: native backend built (${status.library})`);
  else
    console.log(
      `genlab: native backend not built (${status.reason}); genlab uses wasm. ` +
        'For native speed: apt-get install libdnnl-dev g++ make, then node native/build.mjs',
    );
  process.exit(0);
}

try {
  if (process.env.GENLAB_NATIVE === '0') finish({ built: false, library: null, reason: 'GENLAB_NATIVE=0' });

  const includeDirs = ['/usr/include', '/usr/local/include', ...(process.env.CPATH ?? '').split(':').filter(Boolean)];
  const header = includeDirs.map((d) => join(d, 'oneapi', 'dnnl', 'dnnl.h')).find((p) => existsSync(p));
  if (header === undefined) finish({ built: false, library: null, reason: 'oneDNN not found (no oneapi/dnnl/dnnl.h)' });
  const library = 'oneDNN';

  const cxx = spawnSync(process.env.CXX ?? 'c++', ['--version'], { stdio: 'ignore' });
  if (cxx.status !== 0) finish({ built: false, library, reason: 'no C++ compiler (c++)' });

  // node-gyp: npm's own (npm passes its path to scripts), else the one bundled with npm next to this node.
  const execDir = dirname(process.execPath);
  const gyp = [
    process.env.npm_config_node_gyp,
    join(execDir, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(execDir, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].find((p) => p && existsSync(p));
  if (gyp === undefined) finish({ built: false, library, reason: 'node-gyp not found' });

  // Node's headers: the installed ones when present (no download), else node-gyp fetches them.
  const prefix = join(execDir, '..');
  const args = [gyp, 'rebuild', `--directory=${here}`];
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi')))
    args.push(`--nodedir=${prefix}`);
  const run = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', timeout: 10 * 60_000 });
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(logFile, `${run.stdout ?? ''}\n${run.stderr ?? ''}`);
  if (run.status !== 0 || !existsSync(addon)) {
    const err = (run.stderr ?? '').split('\n').find((l) => /error/i.test(l)) ?? `node-gyp exited ${run.status}`;
    finish({ built: false, library, reason: `build failed: ${err.trim().slice(0, 200)} (see native/build/build.log)` });
  }
  try {
    const m = createRequire(import.meta.url)(addon);
    finish({ built: true, library: m.library ?? library, reason: null });
  } catch (e) {
    finish({ built: false, library, reason: `built but cannot load: ${String(e?.message ?? e).split('\n')[0]}` });
  }
} catch (e) {
  finish({ built: false, library: null, reason: `unexpected: ${String(e?.message ?? e).split('\n')[0]}` });
}

/**
 * `genlab lab [--port P] [--host H] [--runs DIR]`: builds the browser lab (web/) with Vite into dist/lab/ when
 * its sources changed, serves it with Vite's preview server on 127.0.0.1 (loopback only unless --host says
 * otherwise), with the shipped trained models of assets/ under /shipped/ and the built-in datasets under
 * /api/dataset (lab-data.ts) for the lecture's pages, and with --runs the runs board: DIR read-only under /runs/ (lab-files.ts) and its runs' summaries
 * under /api/ (lab-api.ts, lab-runs.ts), which runs.html shows live.
 *
 *   genlab lab                      # http://127.0.0.1:4173/
 *   genlab lab --runs runs --port 8080   # the board: http://127.0.0.1:8080/runs.html
 *   genlab lab --build-only         # (re)build dist/lab/ and exit
 *
 * The server answers only requests whose Host is this machine (Vite's check against DNS rebinding), sends no CORS
 * headers (no other origin may read the runs), and marks every answer nosniff. An unknown page gets a 404 that says
 * so and links the home page (Vite's own is empty, which a browser shows as its error screen).
 *
 * Build cache: the build writes `.genlab-build.json` (its start time) into dist/lab/; the next `genlab lab`
 * rebuilds only when a file under web/ or src/, package.json or package-lock.json is newer. Without web/ (an
 * installed package), an existing dist/lab/ is served as it is.
 */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenlabError, badInput } from '../index.js';
import { labApiHandler } from './lab-api.js';
import { runsFilesHandler, shippedFilesHandler, type Middleware } from './lab-files.js';
import { RunsFolder } from './lab-runs.js';
import { intOption } from './options.js';

/** The repository (or installed package) root: src/cli/lab.ts and dist/cli/lab.js both sit two levels below it. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const LAB_SOURCES = join(ROOT, 'web');
export const LAB_CONFIG = join(LAB_SOURCES, 'vite.config.ts');
export const LAB_OUT = join(ROOT, 'dist', 'lab');
/** The shipped assets (trained models, the MNIST classifier), served read-only under /shipped/. */
export const ASSETS_DIR = join(ROOT, 'assets');
/** Written by web/vite.config.ts into the build: { started: ms since epoch, vite: version }. */
const STAMP = '.genlab-build.json';
export const DEFAULT_PORT = 4173;

export interface LabBuildOptions {
  /** Rebuild even when the cached build is up to date. */
  force?: boolean;
  /** Where the build goes (default dist/lab/ of the package). */
  outDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface LabBuild {
  outDir: string;
  /** Whether this call ran Vite (false: the cached build was fresh). */
  rebuilt: boolean;
  /** Why it rebuilt, or why not. */
  reason: string;
}

/** Newest modification time (ms) of the files under `dir` (node_modules and dot-folders skipped). */
async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, await newestMtime(p));
    else if (e.isFile()) newest = Math.max(newest, (await stat(p)).mtimeMs);
  }
  return newest;
}

/** Why the build in `outDir` is stale, or null when it is fresh. */
export async function staleReason(outDir = LAB_OUT): Promise<string | null> {
  let started: number;
  try {
    started = (JSON.parse(await readFile(join(outDir, STAMP), 'utf8')) as { started: number }).started;
    if (typeof started !== 'number') return 'the build stamp is unreadable';
  } catch {
    return 'no build yet';
  }
  const sources = [LAB_SOURCES, join(ROOT, 'src')];
  const files = ['package.json', 'package-lock.json'].map((f) => join(ROOT, f)).filter((f) => existsSync(f));
  let newest = 0;
  for (const d of sources) newest = Math.max(newest, await newestMtime(d));
  for (const f of files) newest = Math.max(newest, (await stat(f)).mtimeMs);
  return newest > started ? 'sources changed since the last build' : null;
}

/** Imports Vite (a dev dependency: present in a clone after `npm install`). */
async function importVite(): Promise<typeof import('vite')> {
  try {
    return await import('vite');
  } catch {
    throw new GenlabError('unsupported', "lab: building the lab needs Vite, a dev dependency of genlab: run 'npm install' in a clone of genlab");
  }
}

/**
 * Builds the lab into `outDir` unless the cached build is up to date. The build goes to a sibling folder first and
 * replaces the old one at the end, so a server never sees half a build.
 */
export async function buildLab(options: LabBuildOptions = {}): Promise<LabBuild> {
  const outDir = resolve(options.outDir ?? LAB_OUT);
  const log = options.log ?? (() => {});
  if (!existsSync(LAB_CONFIG)) {
    if (existsSync(join(outDir, 'index.html'))) return { outDir, rebuilt: false, reason: 'no web/ sources: serving the prebuilt lab' };
    throw new GenlabError('not-found', `lab: neither the lab's sources (${LAB_SOURCES}) nor a built lab (${outDir}) exist`);
  }
  const stale = options.force ? 'rebuild forced' : await staleReason(outDir);
  if (stale === null) return { outDir, rebuilt: false, reason: 'the cached build is up to date' };
  log(`genlab lab: building the lab (${stale})…`);
  const vite = await importVite();
  const tmp = `${outDir}.build-${process.pid}`;
  const t0 = performance.now();
  try {
    await vite.build({ configFile: LAB_CONFIG, logLevel: 'error', build: { outDir: tmp, emptyOutDir: true } });
    await rm(outDir, { recursive: true, force: true });
    try {
      await rename(tmp, outDir);
    } catch (e) {
      // Another `genlab lab` finished its build at the same moment: use that one.
      if (!existsSync(join(outDir, STAMP))) throw e;
      await rm(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw new GenlabError('internal', `lab: the build failed: ${message}`);
  }
  log(`genlab lab: built in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${relative(process.cwd(), outDir) || '.'}`);
  return { outDir, rebuilt: true, reason: stale };
}

// ---- the server ----

export interface LabServerOptions extends LabBuildOptions {
  /** Default 4173 (the next free port when taken); 0 picks any free port. An explicit port must be free. */
  port?: number;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Folder served read-only under /runs/, and shown by the runs board. */
  runs?: string;
}

export interface LabServer {
  url: string;
  /** The runs board's URL (runs.html). */
  boardUrl: string;
  port: number;
  build: LabBuild;
  close(): Promise<void>;
}

/** Builds the lab if needed and serves it; resolves once the server listens. */
export async function startLab(options: LabServerOptions = {}): Promise<LabServer> {
  const host = options.host ?? '127.0.0.1';
  if (options.runs !== undefined) {
    const s = await stat(options.runs).catch(() => null);
    if (!s?.isDirectory()) throw badInput('--runs', `${options.runs} is not a folder`);
  }
  const build = await buildLab(options);
  const vite = await importVite();
  const runs = options.runs !== undefined ? new RunsFolder(options.runs) : undefined;
  const files = runsFilesHandler(options.runs);
  const api = labApiHandler(runs);
  const shipped = shippedFilesHandler(ASSETS_DIR);
  const explicitPort = options.port !== undefined && options.port !== DEFAULT_PORT;
  let server;
  try {
    server = await vite.preview({
      configFile: LAB_CONFIG,
      logLevel: 'error',
      build: { outDir: build.outDir },
      // No CORS: Vite's default lets any localhost origin (another dev server) read the runs.
      preview: { host, port: options.port ?? DEFAULT_PORT, strictPort: explicitPort, open: false, cors: false, headers: { 'X-Content-Type-Options': 'nosniff' } },
      plugins: [
        {
          name: 'genlab-runs',
          configurePreviewServer: (s) => {
            s.middlewares.use(files).use(shipped).use(api);
            // Returned: runs after Vite's static files and its page fallback (/gmm → gmm.html), before its empty 404.
            return () => void s.middlewares.use(notFoundPage(build.outDir));
          },
        },
      ],
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    if (code === 'EADDRINUSE' || /already in use/i.test(message)) throw badInput('--port', `port ${options.port} is in use; pick another`);
    throw new GenlabError('internal', `lab: the server could not start: ${message}`);
  }
  const address = server.httpServer.address() as AddressInfo | null;
  const port = address?.port ?? options.port ?? DEFAULT_PORT;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/`;
  return {
    url,
    boardUrl: `${url}runs.html`,
    port,
    build,
    close: () => server.close(),
  };
}

/**
 * A request for a page (a path ending in .html or without an extension) that is not in the build: a 404 with a short
 * page saying so and a link to the home page. Other files (scripts, wasm, images) keep Vite's empty 404.
 */
function notFoundPage(outDir: string): Middleware {
  return (req, res, next) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://lab').pathname);
    } catch {
      return next();
    }
    const last = path.slice(path.lastIndexOf('/') + 1);
    const pageLike = last.endsWith('.html') || !last.includes('.');
    const file = join(outDir, path);
    const exists = file.startsWith(outDir) && statSync(file, { throwIfNoEntry: false })?.isFile() === true;
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !pageLike || exists) return next();
    const shown = path.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const body =
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
      '<title>No such page — genlab lab</title></head>' +
      '<body style="font-family: system-ui, sans-serif; color: #1d2330; max-width: 40rem; margin: 4rem auto; padding: 0 1.5rem; line-height: 1.5">' +
      `<h1>No such page</h1><p>The lab has no page at <code>${shown}</code>.</p>` +
      '<p><a href="/">The home page</a> lists every figure, in the lecture’s order.</p></body></html>\n';
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function registerLabCommand(program: Command): void {
  program
    .command('lab')
    .description('build (when its sources changed) and serve the browser lab on this machine')
    .option('--port <n>', `port to listen on (default ${DEFAULT_PORT}, or the next free one)`, intOption('--port', 0))
    .option('--host <address>', 'address to listen on; anything but loopback exposes the lab to your network', '127.0.0.1')
    .option('--runs <dir>', 'show the runs in this folder on the runs board (runs.html), live, and serve it read-only')
    .option('--rebuild', 'rebuild the lab even when the cached build is fresh')
    .option('--build-only', 'build the lab into dist/lab/ (when stale) and exit')
    .action(async (o: { port?: number; host: string; runs?: string; rebuild?: boolean; buildOnly?: boolean }) => {
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      if (o.port !== undefined && o.port > 65535) throw badInput('--port', `expected a port in [0, 65535], got ${o.port}`);
      if (o.buildOnly) {
        const b = await buildLab({ force: o.rebuild === true, log });
        if (!b.rebuilt) log(`genlab lab: ${b.reason} (${relative(process.cwd(), b.outDir) || '.'})`);
        return;
      }
      if (!LOOPBACK.has(o.host)) log(`genlab lab: listening on ${o.host}: other machines that can reach it can open the lab${o.runs ? ' and read your runs' : ''}`);
      const lab = await startLab({ ...(o.port !== undefined ? { port: o.port } : {}), host: o.host, ...(o.runs !== undefined ? { runs: o.runs } : {}), force: o.rebuild === true, log });
      process.stdout.write(`genlab lab: ${lab.url}${o.runs ? `  (runs board: ${lab.boardUrl})` : ''}\n`);
      process.stderr.write('genlab lab: press Ctrl-C to stop\n');
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await lab.close();
    });
}

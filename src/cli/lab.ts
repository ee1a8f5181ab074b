/**
 * `genlab lab [--port P] [--host H] [--runs DIR]`: builds the browser lab (web/) with Vite into dist/lab/ when
 * its sources changed, serves it with Vite's preview server on 127.0.0.1 (loopback only unless --host says
 * otherwise), and serves DIR read-only under /runs/, so runs trained in Node can be opened in the browser.
 *
 *   genlab lab                      # http://127.0.0.1:4173/
 *   genlab lab --runs runs --port 8080
 *   genlab lab --build-only         # (re)build dist/lab/ and exit
 *
 * Build cache: the build writes `.genlab-build.json` (its start time) into dist/lab/; the next `genlab lab`
 * rebuilds only when a file under web/ or src/, package.json or package-lock.json is newer. Without web/ (an
 * installed package), an existing dist/lab/ is served as it is.
 */
import type { Command } from 'commander';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenlabError, badInput } from '../index.js';
import { intOption } from './options.js';

/** The repository (or installed package) root: src/cli/lab.ts and dist/cli/lab.js both sit two levels below it. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const LAB_SOURCES = join(ROOT, 'web');
export const LAB_CONFIG = join(LAB_SOURCES, 'vite.config.ts');
export const LAB_OUT = join(ROOT, 'dist', 'lab');
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

// ---- /runs/: a read-only view of a folder ----

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.npy': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

/**
 * Handles GET/HEAD under /runs/: a directory answers a JSON listing { dir, entries: [{ name, type, size, mtime }] },
 * a file its bytes. Nothing outside `dir` is reachable (`..`, symlinks out). Without a runs folder, /runs/ answers
 * { dir: null, entries: [] }, so pages can ask without causing a 404.
 */
export function runsHandler(dir: string | undefined): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const root = dir === undefined ? undefined : resolve(dir);
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://lab');
    if (url.pathname !== '/runs' && !url.pathname.startsWith('/runs/')) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, { error: 'the runs folder is read-only' });
    }
    if (root === undefined) return send(res, 200, { dir: null, entries: [] });
    void (async () => {
      let rel: string;
      try {
        rel = decodeURIComponent(url.pathname.slice('/runs'.length));
      } catch {
        return send(res, 400, { error: 'bad path' });
      }
      const target = resolve(root, `.${rel.startsWith('/') ? '' : '/'}${rel}`);
      const inside = (p: string, base: string): boolean => p === base || p.startsWith(base.endsWith(sep) ? base : base + sep);
      if (rel.includes('\0') || !inside(target, root)) return send(res, 404, { error: 'not found' });
      let real: string, realRoot: string;
      try {
        [real, realRoot] = await Promise.all([realpath(target), realpath(root)]);
      } catch {
        return send(res, 404, { error: 'not found' });
      }
      if (!inside(real, realRoot)) return send(res, 404, { error: 'not found' });
      const info = await stat(real);
      if (info.isDirectory()) {
        const entries = await readdir(real, { withFileTypes: true });
        const listed = await Promise.all(
          entries
            .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isFile()))
            .map(async (e) => {
              const s = await stat(join(real, e.name));
              return { name: e.name, type: e.isDirectory() ? 'dir' : 'file', size: s.size, mtime: s.mtimeMs };
            }),
        );
        listed.sort((a, b) => a.name.localeCompare(b.name));
        return send(res, 200, { dir: rel === '' || rel === '/' ? dir : rel, entries: listed });
      }
      if (!info.isFile()) return send(res, 404, { error: 'not found' });
      res.statusCode = 200;
      res.setHeader('Content-Type', CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream');
      res.setHeader('Content-Length', String(info.size));
      res.setHeader('Cache-Control', 'no-store'); // runs change while they train
      if (req.method === 'HEAD') return res.end();
      createReadStream(real).on('error', () => res.destroy()).pipe(res);
    })().catch(() => send(res, 500, { error: 'cannot read' }));
  };
}

// ---- the server ----

export interface LabServerOptions extends LabBuildOptions {
  /** Default 4173 (the next free port when taken); 0 picks any free port. An explicit port must be free. */
  port?: number;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Folder served read-only under /runs/. */
  runs?: string;
}

export interface LabServer {
  url: string;
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
  const handler = runsHandler(options.runs);
  const explicitPort = options.port !== undefined && options.port !== DEFAULT_PORT;
  let server;
  try {
    server = await vite.preview({
      configFile: LAB_CONFIG,
      logLevel: 'error',
      build: { outDir: build.outDir },
      preview: { host, port: options.port ?? DEFAULT_PORT, strictPort: explicitPort, open: false },
      plugins: [{ name: 'genlab-runs', configurePreviewServer: (s) => void s.middlewares.use(handler) }],
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
  return {
    url: `http://${shown}:${port}/`,
    port,
    build,
    close: () => server.close(),
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function registerLabCommand(program: Command): void {
  program
    .command('lab')
    .description('build (when its sources changed) and serve the browser lab on this machine')
    .option('--port <n>', `port to listen on (default ${DEFAULT_PORT}, or the next free one)`, intOption('--port', 0))
    .option('--host <address>', 'address to listen on; anything but loopback exposes the lab to your network', '127.0.0.1')
    .option('--runs <dir>', 'serve this folder of runs read-only under /runs/')
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
      process.stdout.write(`genlab lab: ${lab.url}${o.runs ? `  (runs: ${o.runs} under ${lab.url}runs/)` : ''}\n`);
      process.stderr.write('genlab lab: press Ctrl-C to stop\n');
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await lab.close();
    });
}

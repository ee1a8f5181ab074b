/**
 * /runs/…: the runs folder given to `genlab lab --runs DIR`, served read-only as plain files — what the board's pages
 * fetch (metrics.jsonl, the grids, the saved models) and nothing else. What it refuses, and why:
 * - anything but GET and HEAD (405): the lab never changes a run;
 * - paths that leave DIR, through `..` or a symbolic link, and dotfiles or dot-folders at any depth (404): the
 *   temporary files of atomic writes, editor and version-control state;
 * - user files that a browser would run as a page of the lab's origin: HTML is sent as a download, SVG inline but,
 *   like every answer here, under a Content-Security-Policy that allows no script (sandbox, `default-src 'none'`),
 *   with `X-Content-Type-Options: nosniff` so no type is guessed, and `Cross-Origin-Resource-Policy: same-origin` so
 *   no other site embeds them. Unknown types are downloads.
 * A folder asked for by a browser page (Accept: text/html) is redirected to the board's view of it, so a user never
 * meets raw JSON; other clients get a JSON listing { dir, entries }. File bodies are streamed with `pipeline`, which
 * destroys the file's stream — closing its descriptor — when the client disconnects mid-download.
 */
import { open, readdir, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

export type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Types served inline (with nosniff, a browser shows them as what they are and never runs them). */
const INLINE_TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.npy': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

/** Types a browser would render as a document able to run script: always downloads. */
const DOWNLOAD_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.xhtml': 'application/xhtml+xml',
  '.xml': 'application/xml',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
};

/** The policy of every answer under /runs/: no script, no plugin, no form, a unique origin even if opened directly. */
export const RUNS_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

/** Headers every answer under /runs/ carries. */
function guard(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', RUNS_CSP);
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store'); // runs change while they train
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(JSON.stringify(body));
}

const inside = (p: string, base: string): boolean => p === base || p.startsWith(base.endsWith(sep) ? base : base + sep);

/**
 * The real path of `rel` (a '/'-separated path below `root`), or null when it names nothing, leaves `root` (after
 * symbolic links), or has a dot-segment: the one check every file access of the lab under DIR goes through.
 */
export async function resolveInside(root: string, rel: string): Promise<string | null> {
  const parts = rel.split('/').filter((p) => p !== '');
  if (parts.some((p) => p.startsWith('.') || p.includes('\0') || p.includes('\\'))) return null;
  const target = resolve(root, ...parts);
  if (!inside(target, root)) return null;
  try {
    const [real, realRoot] = await Promise.all([realpath(target), realpath(root)]);
    if (!inside(real, realRoot)) return null;
    // A link inside DIR may still point at a dotfile inside DIR.
    if (relative(realRoot, real).split(sep).some((p) => p.startsWith('.') && p !== '')) return null;
    return real;
  } catch {
    return null;
  }
}

/** Streams the file at `path` (known to be inside DIR) with the headers its type calls for. */
async function sendFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const handle = await open(path, 'r');
  let streaming = false;
  try {
    const info = await handle.stat();
    if (!info.isFile()) return sendJson(res, 404, { error: 'not found' });
    const ext = extname(path).toLowerCase();
    const inline = INLINE_TYPES[ext];
    res.statusCode = 200;
    res.setHeader('Content-Type', inline ?? DOWNLOAD_TYPES[ext] ?? 'application/octet-stream');
    if (!inline) res.setHeader('Content-Disposition', 'attachment');
    res.setHeader('Content-Length', String(info.size));
    if (req.method === 'HEAD') return void res.end();
    streaming = true;
    // The stream owns the handle from here: pipeline destroys it (closing the descriptor) on error or disconnect.
    await pipeline(handle.createReadStream({ autoClose: true }), res).catch(() => res.destroy());
  } finally {
    if (!streaming) await handle.close();
  }
}

/** The board's page of folder `name` under /runs/ (at `real`): the run's own page when it is a run, else the board. */
async function boardPage(real: string, name: string): Promise<string> {
  const isRun = await stat(join(real, 'manifest.json')).then((s) => s.isFile(), () => false);
  return isRun ? `/runs.html?run=${encodeURIComponent(name === '' ? '.' : name)}` : '/runs.html';
}

/** Where a files handler serves from, and how. */
interface FolderMount {
  /** URL prefix without a trailing slash, e.g. '/runs'. */
  prefix: string;
  /** The folder served (undefined: none given; the prefix answers an empty listing). */
  dir: string | undefined;
  /** Whether a browser asking for a folder is sent to the runs board's page of it. */
  boardPages: boolean;
}

/**
 * Handles GET/HEAD under /runs/ as described above. Without a runs folder, /runs/ answers { dir: null, entries: [] }
 * so pages can ask without causing a 404.
 */
export function runsFilesHandler(dir: string | undefined): Middleware {
  return folderFilesHandler({ prefix: '/runs', dir, boardPages: true });
}

/**
 * /shipped/…: the package's assets/ folder (the trained models the lecture pages open, the MNIST classifier), read-only
 * under the same rules as /runs/.
 */
export function shippedFilesHandler(assetsDir: string): Middleware {
  return folderFilesHandler({ prefix: '/shipped', dir: assetsDir, boardPages: false });
}

function folderFilesHandler(mount: FolderMount): Middleware {
  const { prefix, dir, boardPages } = mount;
  const root = dir === undefined ? undefined : resolve(dir);
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://lab');
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return next();
    guard(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendJson(res, 405, { error: `${prefix}/ is read-only` });
    }
    if (root === undefined) return sendJson(res, 200, { dir: null, entries: [] });
    void (async () => {
      let rel: string;
      try {
        rel = decodeURIComponent(url.pathname.slice(prefix.length));
      } catch {
        return sendJson(res, 400, { error: 'bad path' });
      }
      const real = await resolveInside(root, rel);
      if (real === null) return sendJson(res, 404, { error: 'not found' });
      const info = await stat(real);
      if (info.isDirectory()) {
        const name = rel.split('/').filter((p) => p !== '').join('/');
        if (boardPages && (req.headers.accept ?? '').includes('text/html')) {
          res.statusCode = 302;
          res.setHeader('Location', await boardPage(real, name));
          return void res.end();
        }
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
        return sendJson(res, 200, { dir: name === '' ? dir : name, entries: listed });
      }
      if (!info.isFile()) return sendJson(res, 404, { error: 'not found' });
      await sendFile(req, res, real);
    })().catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'cannot read' });
      else res.destroy();
    });
  };
}

/**
 * /api/…: what the runs board and the lecture's pages ask the lab's server, as JSON (read-only, GET only):
 *
 *   /api/runs                          { dir, runs: RunSummary[] }  (dir null: the lab was started without --runs)
 *   /api/run?name=NAME                 RunDetail: manifest, command line, grids per epoch, where the model is
 *   /api/examples?run=NAME&n=16&seed=0 ExamplesAnswer: test examples for the model's reconstructions
 *   /api/dataset?name=mnist&split=test[&n=N&seed=S]      DatasetMeta of a built-in dataset (lab-data.ts), for the
 *   /api/dataset.bin?…                                   lecture's pages, and its values as bytes
 *
 * Files themselves (metrics.jsonl, grids, models) are fetched under /runs/ (lab-files.ts).
 */
import type { ServerResponse } from 'node:http';
import { GenlabError } from '../index.js';
import { DatasetServer, sendBytes } from './lab-data.js';
import { sendJson, type Middleware } from './lab-files.js';
import type { RunsFolder } from './lab-runs.js';

const int = (v: string | null, fallback: number): number => (v === null || v === '' ? fallback : /^-?\d+$/.test(v) ? Number(v) : NaN);

export function labApiHandler(runs: RunsFolder | undefined, datasets = new DatasetServer()): Middleware {
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://lab');
    if (!url.pathname.startsWith('/api/')) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'read-only' });
    }
    void route(url, runs, datasets, req.method === 'HEAD', res).catch((e: unknown) => {
      const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      const status = e instanceof GenlabError && e.code !== 'internal' ? (e.code === 'not-found' ? 404 : 400) : 500;
      if (!res.headersSent) sendJson(res, status, { error: message });
    });
  };
}

async function route(url: URL, runs: RunsFolder | undefined, datasets: DatasetServer, head: boolean, res: ServerResponse): Promise<void> {
  const q = url.searchParams;
  switch (url.pathname) {
    case '/api/runs':
      return sendJson(res, 200, runs ? { dir: runs.dir, runs: await runs.list() } : { dir: null, runs: [] });
    case '/api/run': {
      const detail = runs ? await runs.detail(q.get('name') ?? '') : null;
      return detail ? sendJson(res, 200, detail) : sendJson(res, 404, { error: `no run '${q.get('name') ?? ''}' here` });
    }
    case '/api/examples': {
      const answer = runs ? await runs.examples(q.get('run') ?? '', int(q.get('n'), 16), int(q.get('seed'), 0)) : null;
      return answer ? sendJson(res, 200, answer) : sendJson(res, 404, { error: `no run '${q.get('run') ?? ''}' here` });
    }
    case '/api/dataset':
      return sendJson(res, 200, await datasets.meta(q));
    case '/api/dataset.bin':
      return sendBytes(res, await datasets.bytes(q), head);
    default:
      return sendJson(res, 404, { error: 'no such API' });
  }
}

/**
 * A worker thread of pool.ts. For each fit it receives the fit's shared memory and shape, lays out the same views as
 * the main thread (params.ts attachContext), and takes chunks of the fit's passes (chunks.ts) until the fit releases
 * its team. Loaded only by URL from pool.ts, never imported: the one GMM module that imports a Node built-in.
 */
import { parentPort } from 'node:worker_threads';
import { JOBS, Team } from './chunks.js';
import { COVARIANCE_MODELS } from './covariance.js';
import { emChunk } from './em.js';
import { assignChunk, potentialChunk } from './kmeans.js';
import { attachContext } from './params.js';
import type { AttachMessage } from './pool.js';
import { Arena } from './wasm/arena.js';

const port = parentPort!;

port.on('message', ({ memory, shape, thread }: AttachMessage) => {
  const arena = Arena.attach(memory);
  const model = COVARIANCE_MODELS[shape.type];
  const ctx = attachContext(model, shape, arena);
  const kmeans = ctx.work.kmeans!;
  new Team(memory.buffer, ctx.controlOffset!, shape.threads, thread).serve((job, arg, t, chunk) => {
    if (job === JOBS.em) emChunk(model, ctx, ctx.slot!, t, chunk);
    else if (job === JOBS.assign) assignChunk(ctx.points, kmeans, t, chunk, arg);
    else potentialChunk(ctx.points, kmeans, chunk, arg);
  });
});

port.postMessage('ready');

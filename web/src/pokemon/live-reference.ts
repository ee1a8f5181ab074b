/**
 * The held-out Pokémon scored by the live model, as reference.json's were by the shipped one — each image alone with
 * a fresh Rng(seed), so an image's score does not depend on its neighbours and a held-out sprite judged on the page
 * meets its own entry — but with fewer importance samples, so that it takes seconds. The work is split across
 * animation frames (a few images per frame), each image between training steps (the page's `exclusive`).
 */
import { likelihoodOfEach, type Dataset, type ReferenceScores, type VAE } from '../../../src/browser.js';

/** Importance samples per image under a live model (the shipped reference uses reference.json's k, 100). */
export const LIVE_K = 16;
export const LIVE_SEED = 0;
/** Milliseconds of scoring per frame. */
const FRAME_BUDGET_MS = 12;

export interface LiveReferenceJob {
  model: VAE;
  heldOut: Dataset;
  /** What the model's data are, for verdicts (the shipped reference's subject). */
  subject: string;
  /** The model's training step, named in the set's label. */
  step: number;
  /** Runs one unit of work between training steps (Loop.exclusive). */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
  /** True once the result would be stale (another model, more training, a newer job): the job stops. */
  cancelled: () => boolean;
  onProgress?: (done: number, total: number) => void;
}

const nextFrame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()));

/** The reference of the live model (held-out set only), or null when cancelled. */
export async function scoreHeldOutLive(job: LiveReferenceJob): Promise<ReferenceScores | null> {
  const { model, heldOut } = job;
  const size = heldOut.data.length / heldOut.count;
  const logPx: number[] = [];
  let frameStart = performance.now();
  for (let i = 0; i < heldOut.count; i++) {
    if (job.cancelled()) return null;
    const image = heldOut.data.subarray(i * size, (i + 1) * size);
    const est = await job.exclusive(async () => (job.cancelled() ? null : likelihoodOfEach(model, image, { k: LIVE_K, seed: LIVE_SEED })));
    if (!est) return null;
    logPx.push(est.logPx[0]!);
    job.onProgress?.(i + 1, heldOut.count);
    if (performance.now() - frameStart > FRAME_BUDGET_MS) {
      await nextFrame();
      frameStart = performance.now();
    }
  }
  if (job.cancelled()) return null;
  return {
    format: 'genlab-reference-scores',
    version: 1,
    k: LIVE_K,
    seed: LIVE_SEED,
    subject: job.subject,
    heldOut: {
      name: 'pokemon-test-live',
      label: `held-out Pokémon, live model at step ${job.step}`,
      how: `the whole test split of pokemon (${heldOut.count} sprites of species never trained on), scored by the live model at step ${job.step}, each alone with k = ${LIVE_K} and seed ${LIVE_SEED}`,
      logPx,
    },
    contrasts: [],
  };
}

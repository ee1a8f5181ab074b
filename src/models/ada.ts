/**
 * Adaptive discriminator augmentation (Karras et al. 2020, "Training Generative Adversarial Networks with Limited
 * Data", §3): augment every image D sees with probability p, and move p with how far D has overfitted its training
 * set, measured by
 *   r_t = E[sign(D(x_real))]     (D's raw output on the real images of its updates; 0 = can't tell, 1 = sure of all)
 * over each ADA_INTERVAL minibatches: p rises by (images in the interval)/speed while r_t is above the target (0.6
 * in the paper) and falls while below it, so it can go from 0 to 1 in `speed` images (the paper's 500k), clamped to
 * [0, 1] — as stylegan2-ada-pytorch's training_loop.py. Here the augmentations are DiffAugment's (diff-augment.ts):
 * each of colour, translation and cutout applied to each image with probability p, differentiably, in D's and G's
 * updates alike. Early on, with little to memorise yet, p stays near 0 and D sees the sprites as they are; as D
 * starts to tell its training set by heart, p grows.
 */
import { badFile } from '../engine/errors.js';

/** Minibatches between adjustments of p (the paper's N = 4). */
export const ADA_INTERVAL = 4;
/** Images in which p can go from 0 to 1 (the paper's 500k). */
export const ADA_SPEED = 500_000;

/** p, and the real images' signs taken in since the last adjustment; saved with the model so a resume is exact. */
export interface AdaState {
  p: number;
  /** Sum of sign(D(x_real)) over the images of this interval's updates. */
  signSum: number;
  images: number;
  batches: number;
}

export const startAda = (): AdaState => ({ p: 0, signSum: 0, images: 0, batches: 0 });

/** r_t of the interval so far (0 before any image). */
const overfitting = (s: AdaState): number => (s.images > 0 ? s.signSum / s.images : 0);

/**
 * Takes in one D update's real images: `signSum` = Σ sign(D(x)) over its `images` outputs; every ADA_INTERVAL
 * updates p moves one step of images/speed towards where r_t sits against `target`.
 */
export function observeRealSigns(s: AdaState, signSum: number, images: number, target: number, speed: number): void {
  s.signSum += signSum;
  s.images += images;
  s.batches += 1;
  if (s.batches < ADA_INTERVAL) return;
  s.p = Math.min(1, Math.max(0, s.p + (Math.sign(overfitting(s) - target) * s.images) / speed));
  s.signSum = 0;
  s.images = 0;
  s.batches = 0;
}

/** An AdaState read from genlab-model.json (`path` names the file in messages). */
export function checkAdaState(saved: unknown, path: string): AdaState {
  const s = saved as Partial<AdaState> | undefined;
  const ok =
    s &&
    typeof s.p === 'number' && s.p >= 0 && s.p <= 1 &&
    typeof s.signSum === 'number' && Number.isFinite(s.signSum) &&
    Number.isSafeInteger(s.images) && s.images! >= 0 &&
    Number.isSafeInteger(s.batches) && s.batches! >= 0 && s.batches! < ADA_INTERVAL;
  if (!ok) throw badFile(path, `"state.ada" must be { p in [0, 1], signSum, images ≥ 0, batches in 0…${ADA_INTERVAL - 1} } with adaTarget > 0, got ${JSON.stringify(saved) ?? 'nothing'}`);
  return { p: s.p!, signSum: s.signSum!, images: s.images!, batches: s.batches! };
}

/**
 * The lab's figures, in lecture order: the home page lists exactly these, and every page's header links them.
 * A new figure page adds one entry here (and its `NAME.html` + `NAME.ts` in web/).
 */
export interface PageInfo {
  /** File name of the page, relative to the lab's root. */
  href: string;
  title: string;
  /** Lecture section it belongs to. */
  section: string;
  /** A few sentences of the lecture's explanation, shown on the home page. */
  blurb: string[];
  /** What to try on the page. */
  tryIt: string;
}

export const PAGES: readonly PageInfo[] = [
  {
    href: 'kl.html',
    title: 'Why the KL term',
    section: '§1 Why a VAE?',
    blurb: [
      'A VAE’s encoder outputs a mean m and a log-variance σ; the code is c = exp(σ)·e + m with noise e ~ N(0, I), so codes near a training code must still decode to something close.',
      'Minimising only the reconstruction error lets the variance collapse to 0 — the VAE becomes a plain autoencoder again. The extra term exp(σ) − (1 + σ) + m² is smallest at σ = 0 (variance 1) and stops the collapse.',
    ],
    tryIt: 'Move σ along the three curves, then train a small VAE on moon images and switch the KL term off.',
  },
  {
    href: 'moons.html',
    title: 'AE vs VAE on the moon',
    section: '§1 Why a VAE?',
    blurb: [
      'An autoencoder’s encoder and decoder are non-linear: nothing makes the code halfway between a full moon’s code and a half moon’s decode to the moon in between. A VAE adds noise to the code while it trains, so codes near a training code must decode to something close.',
      'Both models, trained on moon images with 2-D codes, decode the straight line between the two codes side by side, over the true moon of the matching phase, with the error along the path.',
    ],
    tryIt: 'Drag the slider from the full to the half moon and watch where the AE’s decodings stop matching the true moon.',
  },
  {
    href: 'pokemon.html',
    title: 'Is it a Pokémon?',
    section: '§1 Why a VAE?',
    blurb: [
      'A generative model gives every image a probability P(x): an image that looks like a Pokémon should score high, anything else low.',
      'A VAE trained on Pokémon sprites scores any image you give it: log p(x) by importance sampling, the ELBO and its two terms, and where it falls among held-out Pokémon, MNIST digits and noise.',
    ],
    tryIt: 'Drop an image or draw one, and read its percentile among held-out Pokémon.',
  },
  {
    href: 'gmm.html',
    title: 'Gaussian mixtures & EM',
    section: '§2 Gaussian mixture model',
    blurb: [
      'A complicated distribution is a weighted sum of Gaussians: pick a component m with probability P(m), then draw x from N(μᵐ, Σᵐ); P(x) = Σₘ P(m) P(x|m).',
      'EM fits the weights, means and covariances: the E-step gives each point its responsibilities (how much each component explains it), the M-step refits every component to the points it is responsible for. The log-likelihood never goes down.',
    ],
    tryIt: 'Step EM one iteration at a time on a toy set or on points you draw, and pick the number of components by BIC.',
  },
  {
    href: 'latent.html',
    title: 'The latent space',
    section: '§2 Gaussian mixture model',
    blurb: [
      'The VAE is the “distributed” version of a Gaussian mixture: z ~ N(0, I), and a network gives each z its own Gaussian over images — P(x) = ∫ P(z) P(x|z) dz, an infinite mixture.',
      'A VAE on MNIST with a 2-D code: the decoded manifold, the test digits’ codes over the prior, a GMM fitted to the same codes, and any code or drawn digit decoded live.',
    ],
    tryIt: 'Drag across the code plane, or draw a digit and see its code, reconstruction and log p(x).',
  },
  {
    href: 'seven.html',
    title: 'The one-pixel 7',
    section: '§3 The problem with VAEs',
    blurb: [
      'A VAE learns to be as close as possible to its training images, pixel by pixel. Two copies of a real “7” that each differ by one pixel have the same pixel loss — but one extends the stroke and looks real, the other has a stray pixel and does not.',
      'Learned measures — a VAE’s log p(x), a discriminator’s features, a classifier — can tell them apart.',
    ],
    tryIt: 'Click any pixel of the 7 to toggle it and watch every measure update.',
  },
  {
    href: 'gan1d.html',
    title: 'A GAN in one dimension',
    section: '§4 GAN',
    blurb: [
      'The generator is like a VAE’s decoder: a random vector in, an example out; it never sees real data. The discriminator outputs a sigmoid score, 1 for real and 0 for generated, and the two train in turn — G with D’s parameters fixed.',
      'The lecture’s figure, live: real examples as black dots, the generator’s density in green, D(x) in blue. Training moves the green curve onto the dots until the blue curve is flat at ½: D can no longer tell them apart.',
    ],
    tryIt: 'Press Play and watch D flatten at ½; switch the loss to minimax or lower G’s learning rate.',
  },
  {
    href: 'gan2d.html',
    title: 'GANs in two dimensions',
    section: '§4.3 Problems GANs meet',
    blurb: [
      'A GAN on 2-D points, GAN Lab style: D’s output as a heat map, real and generated points, how G warps a grid of codes, and arrows for where G’s loss pushes each generated point. Step D and G separately or together.',
      'On ring8 and grid25 GANs often collapse onto a few modes. The fixes of “Improved Techniques for Training GANs” — feature matching, minibatch discrimination, one-sided label smoothing, historical averaging — are toggles here, and the modes covered are measured live.',
    ],
    tryIt: 'Train on ring8, watch the modes covered, then switch on minibatch discrimination — or draw your own data.',
  },
  {
    href: 'imitate.html',
    title: 'VAE imitates, GAN creates',
    section: '§5 Summary',
    blurb: [
      'A VAE produces images as close as possible to its training images: it imitates, and its pixel loss blurs. A GAN’s generator never sees a real image; it learns to fool the discriminator and creates images not in the database.',
      'VAE and GAN samples side by side, each with its nearest training image and the distance to it.',
    ],
    tryIt: 'Draw new samples and compare how far each lands from its nearest training digit.',
  },
];

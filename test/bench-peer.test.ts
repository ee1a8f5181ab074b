import assert from 'node:assert/strict';
import { test } from 'node:test';
import { epochRates } from '../bench/backends.js';

test("the peer's epoch rates are read from its log, one per epoch line and nothing else", () => {
  // As ../shared/peer/vae_mnist.py logs them: common.log("epoch %d  train -ELBO %.3f  %.1fs  %.0f ex/s" % …).
  const log = [
    'threads: {"requested": 1, "blas_requested": 2}',
    'epoch 1  train -ELBO 164.182  3.1s  19333 ex/s',
    'epoch 2  train -ELBO 121.687  4.1s  14666 ex/s',
    'epoch 10  train -ELBO 101.500  3.0s  20012.5 ex/s',
    'test -ELBO 112.900 (rec 90.100 + kl 22.800)  0.4s',
  ].join('\n');
  assert.deepEqual(epochRates(log), [19333, 14666, 20012.5]);
  assert.deepEqual(epochRates('test -ELBO 112.9  0.4s\n'), []);
});

/**
 * A training process for the trainer's tests: `node --import tsx test/helpers/train-child.ts DIR MODE` trains the
 * resume-test run into DIR with the CLI's Ctrl-C handling (stopOnSignals) on, and sends itself SIGINT after step 5 — once (MODE 'sigint':
 * the run stops cleanly) or twice (MODE 'double': the process exits at once). Exits 130 when stopped.
 */
import { initEngine } from '../../src/engine/backend.js';
import { fit } from '../../src/train/index.js';
import { stopOnSignals } from '../../src/cli/signals.js';
import { RESUME_CONFIG, RESUME_OPTIONS, TinyAutoencoder, resumeData } from './train-models.js';

const [dir, mode] = process.argv.slice(2);
if (!dir || (mode !== 'sigint' && mode !== 'double')) throw new Error('usage: train-child.ts DIR sigint|double');
await initEngine({ backend: 'cpu' });
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const stop = stopOnSignals();
const model = TinyAutoencoder.create(RESUME_CONFIG);
const result = await fit(model, resumeData(), {
  ...RESUME_OPTIONS,
  epochs: 3,
  runDir: dir,
  signal: stop.signal,
  callbacks: [
    {
      async onBatchEnd(step) {
        if (step !== 5) return;
        process.kill(process.pid, 'SIGINT');
        await pause(50);
        if (mode === 'double') {
          process.kill(process.pid, 'SIGINT');
          await pause(1000);
        }
      },
    },
  ],
});
stop.release();
process.stdout.write(`${JSON.stringify({ status: result.status, steps: result.steps })}\n`);
process.exitCode = result.status === 'stopped' ? 130 : 0;

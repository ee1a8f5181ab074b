/**
 * A training process for test/fault.test.ts: `node --import tsx test/helpers/fault-child.ts DIR MODE` trains the
 * resume-test run (3 epochs, a checkpoint after every step, so a kill finds many writes under way) into DIR, and
 * prints `ready` on stdout just before it starts writing, so the parent can time its SIGKILL from there.
 * MODE `fresh` starts the run; `resume` continues it; `hold` starts it and, after step 2, prints `holding` and waits
 * until the file DIR.release exists (a second writer must be refused meanwhile). Prints `{"status", "steps"}` when
 * done; a refusal is one line on stderr and exit status 2.
 */
import { existsSync } from 'node:fs';
import { initEngine } from '../../src/engine/backend.js';
import { GenlabError } from '../../src/engine/errors.js';
import { fit, resumeRun, type TrainCallback } from '../../src/train/index.js';
import { RESUME_CONFIG, RESUME_OPTIONS, TinyAutoencoder, resumeData } from './train-models.js';

// The same options as FAULT_OPTIONS in test/fault.test.ts.
const FAULT_OPTIONS = { ...RESUME_OPTIONS, epochs: 3, checkpointEverySteps: 1 } as const;

const [dir, mode] = process.argv.slice(2);
if (!dir || !['fresh', 'resume', 'hold'].includes(mode ?? '')) throw new Error('usage: fault-child.ts DIR fresh|resume|hold');
await initEngine({ backend: 'cpu' });
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const hold: TrainCallback = {
  async onBatchEnd(step) {
    if (step !== 2) return;
    process.stdout.write('holding\n');
    for (let waited = 0; !existsSync(`${dir}.release`) && waited < 60_000; waited += 20) await pause(20);
  },
};
try {
  process.stdout.write('ready\n');
  let result;
  if (mode === 'resume') {
    const r = await resumeRun(dir, resumeData(), { loadModel: (d) => TinyAutoencoder.load(d) });
    r.model.dispose();
    result = r;
  } else {
    const model = TinyAutoencoder.create(RESUME_CONFIG);
    result = await fit(model, resumeData(), { ...FAULT_OPTIONS, runDir: dir, ...(mode === 'hold' ? { callbacks: [hold] } : {}) });
    model.dispose();
  }
  process.stdout.write(`${JSON.stringify({ status: result.status, steps: result.steps })}\n`);
} catch (e) {
  if (!(e instanceof GenlabError)) throw e;
  process.stderr.write(`genlab: ${e.message}\n`);
  process.exitCode = 2;
}

/**
 * `genlab` command line: one file per command group, each exporting `register…(program)`. This file wires them
 * together and turns errors into one line and an exit status (2: bad input, 1: internal failure).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { GenlabError, MODEL_OPTIONS, optionFlag } from '../index.js';
import { registerDataCommands } from './data.js';
import { registerGmmCommands } from './gmm.js';
import { registerClassifierCommand } from './classifier.js';
import { registerLabCommand } from './lab.js';
import { registerTrainCommand } from './train.js';
import { registerModelCommands } from './models.js';
import { registerUpscaleCommand } from './upscale.js';
import { addExamples } from './examples.js';
import { didYouMean } from './suggest.js';

/**
 * Commander's Command, with unknown flags and sub-commands answered by the nearest valid one ("did you mean
 * --epochs?") or, when none is near, by the valid ones (or a pointer to --help when they are many).
 */
class GenlabCommand extends Command {
  override createCommand(name?: string): Command {
    return new GenlabCommand(name);
  }

  private path(): string {
    const names: string[] = [];
    for (let cmd: Command | null = this; cmd; cmd = cmd.parent) names.unshift(cmd.name());
    return names.join(' ');
  }

  // Overrides Commander's (untyped) hook that reports an unknown flag.
  unknownOption(flag: string): never {
    // Another kind's flags are hidden options of `train <kind>`: not suggested, they would only be refused.
    const valid = this.options.filter((o) => !o.hidden).map((o) => o.long ?? o.short!).concat('--help');
    const name = flag.split('=')[0]!;
    const hint = didYouMean(name, valid);
    const rest = hint || (valid.length <= 16 ? `valid options are ${valid.join(', ')}` : `'${this.path()} --help' lists its ${valid.length} options`);
    this.error(`unknown option '${name}' for '${this.path()}': ${rest}`, { code: 'commander.unknownOption' });
  }

  // Overrides Commander's (untyped) hook that reports an unknown sub-command.
  unknownCommand(): never {
    const valid = this.commands.map((c) => c.name());
    const word = this.args[0] ?? '';
    const hint = didYouMean(word, valid);
    this.error(`unknown command '${word}' for '${this.path()}': ${hint ? `${hint} (valid commands are ${valid.join(', ')})` : `valid commands are ${valid.join(', ')}`}`, { code: 'commander.unknownCommand' });
  }
}

/** genlab's version, from package.json (two folders up from both src/cli/ and dist/cli/). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

export function buildProgram(): Command {
  const program = new GenlabCommand('genlab')
    .description('Deep generative models in TypeScript: GMM/EM, autoencoders, VAEs and GANs on real data.')
    .version(packageVersion(), '-V, --version', 'print genlab’s version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} }); // main() prints errors itself, one line
  registerDataCommands(program);
  registerTrainCommand(program);
  registerGmmCommands(program);
  registerModelCommands(program);
  registerUpscaleCommand(program);
  registerClassifierCommand(program);
  registerLabCommand(program);
  addExamples(allCommands(program));
  return program;
}

/** Runs the CLI on `argv` (without `node` and the script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // Commander's own exit override applies per command: set it on every sub-command too.
  for (const cmd of allCommands(program)) cmd.exitOverride().configureOutput({ outputError: () => {} });
  if (argv.length === 0) {
    program.outputHelp(); // a bare `genlab` asks what there is: help, and success
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    return reportError(e);
  }
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

/** Library options the CLI sets from flags of other names or spellings (model options: `optionFlag`). */
const FLAG_OF_OPTION: Record<string, string> = {
  batchSize: '--batch-size', testFraction: '--test-fraction', learningRate: '--lr', lrDecay: '--lr-decay', checkpointEverySteps: '--checkpoint-every',
  size: '--size', channels: '--channels', seed: '--seed', binarize: '--binarize', epochs: '--epochs', steps: '--steps', plot: '--plot',
};

/** The library names options as it spells them (`batchSize: …`); the CLI's user typed a flag (`--batch-size: …`). */
function asFlags(message: string): string {
  const m = /^([a-z][A-Za-z0-9]*): /.exec(message);
  if (!m) return message;
  const name = m[1]!;
  const flag = FLAG_OF_OPTION[name] ?? (Object.hasOwn(MODEL_OPTIONS, name) ? optionFlag(name) : undefined);
  return flag ? `${flag}${message.slice(name.length)}` : message;
}

function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    // --help and --version end through here with exit code 0; a command group without its sub-command showed its help.
    if (e.exitCode === 0) return 0;
    if (e.code === 'commander.help') return 2;
    process.stderr.write(`genlab: ${e.message.replace(/^error: /, '')}\n`);
    return 2;
  }
  if (e instanceof GenlabError) {
    process.stderr.write(`genlab: ${asFlags(e.message)}\n`);
    return e.exitCode;
  }
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`genlab: internal error (please report): ${message}\n`);
  return 1;
}

// Run when executed directly (`node --import tsx src/cli/main.ts …` in development; bin/genlab.js imports main()).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}

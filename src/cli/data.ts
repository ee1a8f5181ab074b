import type { Command } from 'commander';

/** `genlab data info|preview`. */
export function registerDataCommands(program: Command): void {
  program.command('data').description('inspect and preview datasets');
}

import type { Command } from 'commander';

/** Each command module exports `register(program)`; add one line per module. */
export const commands: ((program: Command) => void)[] = [];

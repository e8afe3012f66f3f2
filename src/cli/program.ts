import { Command, CommanderError } from 'commander';
import { commands, commandsFor } from './commands';
import { EXIT } from './common';
import { versionLine } from './version';

// The command line: commander and the command modules. `npm run build` bundles this module and
// all it imports into dist/cli/program.js (one file: no module resolution at start-up), which
// src/cli/main.ts loads once it knows a command runs.

/** The program with the command modules `args` (after the program name) need: see commandsFor. */
function buildProgram(args: readonly string[]): Command {
  const program = new Command('tnc-agent')
    .description(
      "Trusted Network Connect endpoint agent: proves this host's integrity (OS, software inventory, TPM attestation) to a TNC server, and holds a reference TNC server for labs.",
    )
    .version(versionLine(), '-V, --version', "print the agent's version and the Node.js runtime's it runs on")
    .showHelpAfterError()
    .enablePositionalOptions();
  for (const name of commandsFor(args)) commands[name]()(program);
  return program;
}

/** Parses `argv` and runs its command; a usage error exits with commander's code, any other error with EXIT.ERROR. */
export async function run(argv: string[]): Promise<void> {
  const program = buildProgram(argv.slice(2)).exitOverride();
  await program.parseAsync(argv).catch((e: unknown) => {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    console.error(`tnc-agent: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(EXIT.ERROR);
  });
}

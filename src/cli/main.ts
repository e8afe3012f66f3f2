import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commands } from './commands';

// ../../package.json from both src/cli and dist/cli
const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

/** Exit codes every command shares (documented in `tnc-agent --help`). */
export const EXIT = { OK: 0, ERROR: 1, BAD_INPUT: 2 } as const;

/** `tnc-agent 0.1.0 (Node.js 24.22.3, OpenSSL 3.5.9)`: a runtime security update shows here too. */
export function versionLine(): string {
  return `tnc-agent ${pkg.version} (Node.js ${process.versions.node}, OpenSSL ${process.versions.openssl})`;
}

export function buildProgram(): Command {
  const program = new Command('tnc-agent')
    .description(
      "Trusted Network Connect endpoint agent: proves this host's integrity (OS, software inventory, TPM attestation) to a TNC server, and holds a reference TNC server for labs.",
    )
    .version(versionLine(), '-V, --version', "print the agent's version and the Node.js runtime's it runs on")
    .showHelpAfterError()
    .enablePositionalOptions();
  for (const register of commands) register(program);
  return program;
}

export function main(argv: string[]): void {
  // `tnc-agent ... | head` closes stdout early: that is not an error
  process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
  const program = buildProgram().exitOverride();
  program.parseAsync(argv).catch((e: unknown) => {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    console.error(`tnc-agent: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(EXIT.ERROR);
  });
}

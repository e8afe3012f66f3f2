import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { commands, commandsFor } from './commands';

// ../../package.json from both src/cli and dist/cli
const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

/** Exit codes every command shares (documented in `tnc-agent --help`). */
export const EXIT = { OK: 0, ERROR: 1, BAD_INPUT: 2 } as const;

/** `tnc-agent 0.1.0 (Node.js 24.22.3, OpenSSL 3.5.9)`: a runtime security update shows here too. */
export function versionLine(): string {
  return `tnc-agent ${pkg.version} (Node.js ${process.versions.node}, OpenSSL ${process.versions.openssl})`;
}

/** The program with the command modules `args` (after the program name) need: see commandsFor. */
function buildProgram(args: readonly string[], commander: typeof import('commander')): Command {
  const program = new commander.Command('tnc-agent')
    .description(
      "Trusted Network Connect endpoint agent: proves this host's integrity (OS, software inventory, TPM attestation) to a TNC server, and holds a reference TNC server for labs.",
    )
    .version(versionLine(), '-V, --version', "print the agent's version and the Node.js runtime's it runs on")
    .showHelpAfterError()
    .enablePositionalOptions();
  for (const name of commandsFor(args)) commands[name]()(program);
  return program;
}

/**
 * Node.js 22.1+ keeps V8's compiled code of our modules on disk (NODE_COMPILE_CACHE names the
 * directory; by default one under the OS's temp directory), which halves a start-up's compile
 * work; older runtimes (Node.js 20) have no such cache and start as before.
 */
function enableCompileCache(): void {
  const m = nodeModule as { enableCompileCache?: () => unknown };
  if (typeof m.enableCompileCache === 'function') m.enableCompileCache();
}

/** `tnc-agent --version` alone: version probes (packaging scripts, monitoring) need no command line parser. */
const versionOnly = (args: readonly string[]): boolean => args.length === 1 && ['-V', '--version'].includes(args[0]);

export async function main(argv: string[]): Promise<void> {
  enableCompileCache();
  // `tnc-agent ... | head` closes stdout early: that is not an error
  process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
  const args = argv.slice(2);
  if (versionOnly(args)) return void process.stdout.write(`${versionLine()}\n`);
  // commander loads node:child_process and the stream modules: a fifth of a bare start-up
  const commander = await import('commander');
  const program = buildProgram(args, commander).exitOverride();
  await program.parseAsync(argv).catch((e: unknown) => {
    if (e instanceof commander.CommanderError) process.exit(e.exitCode);
    console.error(`tnc-agent: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(EXIT.ERROR);
  });
}

// `node dist/cli/main.js ARGS` runs the compiled form directly (npm start, the benches)
if (require.main === module) void main(process.argv);

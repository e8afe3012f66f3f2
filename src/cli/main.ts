import * as nodeModule from 'node:module';
import { versionLine } from './version';

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
  if (versionOnly(argv.slice(2))) return void process.stdout.write(`${versionLine()}\n`);
  // the parser and the commands (dist/: one bundled file) load only now
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- require, not import(): tsx runs the sources as CommonJS
  await (require('./program') as typeof import('./program')).run(argv);
}

// `node dist/cli/main.js ARGS` runs the compiled form directly (npm start, the benches)
if (require.main === module) void main(process.argv);

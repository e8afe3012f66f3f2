import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { ALL_CODECS } from '../../protocol/codecs';
import { isDecodeError } from '../../bytes/errors';
import { describedJson, describedLines, describeLayer, guessLayer, Layer } from '../../protocol/describe';
import { EXIT } from '../common';

interface DecodeOptions {
  as?: Layer;
  json?: boolean;
}

/** `tnc-agent decode FILE`: prints a PT-TLS message, PB-TNC batch or PA-TNC message as strongSwan logs it. */
export function register(program: Command): void {
  program
    .command('decode')
    .description('print the structure of a PT-TLS message, PB-TNC batch or PA-TNC message file, nested layers included')
    .argument('<file>', 'binary file holding exactly one message or batch')
    .addOption(
      new Option('--as <layer>', 'the layer the file holds (default: guessed from its first byte)').choices([
        'pt-tls',
        'pb-tnc',
        'pa-tnc',
      ]),
    )
    .option('--json', 'print JSON instead of text (byte strings as hex)')
    // optsWithGlobals: the root program may define --json too (server mode), and then takes it
    .action((file: string, _opts: DecodeOptions, cmd: Command) =>
      decodeFile(file, cmd.optsWithGlobals<DecodeOptions>()),
    );
}

function decodeFile(file: string, opts: DecodeOptions): void {
  const data = readFileSync(file);
  const layer = opts.as ?? guessLayer(data);
  if (!layer)
    return badInput(
      `cannot tell the layer: first byte ${data.length ? '0x' + data[0].toString(16).padStart(2, '0') : '(empty file)'} at offset 0 starts no PT-TLS, PB-TNC or PA-TNC header`,
    );
  try {
    const d = describeLayer[layer](data, ALL_CODECS);
    console.log(opts.json ? describedJson(d) : describedLines(d).join('\n'));
  } catch (e) {
    if (!isDecodeError(e)) throw e;
    badInput(e.message);
  }
}

/** One line naming the error and the absolute offset; exit code 2. */
function badInput(message: string): void {
  console.error(`tnc-agent decode: ${message}`);
  process.exitCode = EXIT.BAD_INPUT;
}

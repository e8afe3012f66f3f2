// Writes tnc-agent(1) in roff to stdout from the CLI's own --help texts (the top level and each
// command's), so the manual page never drifts from the options. Debian Policy 12.1: every command
// in /usr/bin has a manual page.
// Usage: node packaging/deb/manpage.mjs VERSION DATE   (DATE as YYYY-MM-DD)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const [version, date] = process.argv.slice(2);
if (!version || !/^\d{4}-\d{2}-\d{2}$/.test(date ?? '')) throw new Error('usage: manpage.mjs VERSION YYYY-MM-DD');
const cli = join(import.meta.dirname, '..', '..', 'bin', 'tnc-agent.js');
const help = (...args) => execFileSync(process.execPath, [cli, ...args, '--help'], { encoding: 'utf8' }).trimEnd();

// groff: a backslash is \e, a minus is \-, a line starting with . or ' is a request unless guarded
const roff = (text) =>
  text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
const verbatim = (text) => `.nf\n${roff(text)}\n.fi`;

const top = help();
// the paragraph between "Usage:" and "Options:" says what the program is
const description = /\n\n([\s\S]*?)\n\nOptions:/.exec(top)?.[1].replace(/\s+/g, ' ') ?? '';
const commands = [...top.split('\nCommands:\n')[1].matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]);

const out = [
  `.TH TNC\\-AGENT 1 "${date}" "tnc-agent ${roff(version)}" "User Commands"`,
  '.SH NAME',
  'tnc\\-agent \\- Trusted Network Connect endpoint agent',
  '.SH SYNOPSIS',
  '.B tnc\\-agent',
  '[\\fIoptions\\fR] [\\fIcommand\\fR] [\\fIcommand options\\fR]',
  '.SH DESCRIPTION',
  roff(description),
  '.SH OPTIONS AND COMMANDS',
  verbatim(top),
  ...commands.flatMap((c) => [`.SS "tnc\\-agent ${roff(c)}"`, verbatim(help(c))]),
  '.SH FILES',
  '.TP',
  '.I /etc/tnc\\-agent/agent.conf, /etc/tnc\\-agent/conf.d/*.conf',
  'configuration of \\fBtnc\\-agent daemon\\fR and \\fBtnc\\-agent doctor\\fR',
  '.TP',
  '.I /var/lib/tnc\\-agent',
  'state: the last attestation and the SWIMA event store',
  '.TP',
  '.I /run/tnc\\-agent/imc.sock',
  'the IF\\-IMC bridge that strongSwan loads the agent\'s IMCs through',
  '.SH SEE ALSO',
  '/usr/share/doc/tnc\\-agent/configuration.md, /usr/share/doc/tnc\\-agent/vpn.md',
];
process.stdout.write(`${out.join('\n')}\n`);

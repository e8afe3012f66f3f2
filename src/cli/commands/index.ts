import type { Command } from 'commander';
import { register as pki } from './pki';
import { register as decode } from './decode';
import { register as ima } from './ima';
import { register as eventlog } from './eventlog';
import { register as server } from './server';
import { register as attest } from './attest';
import { register as demo } from './demo';
import { register as tpm } from './tpm';
import { register as swima } from './swima';
import { register as daemon } from './daemon';
import { register as doctor } from './doctor';
import { register as db } from './db';
import { register as dashboard } from './dashboard';

/** Each command module exports `register(program)`; add one line per module. */
export const commands: ((program: Command) => void)[] = [
  server,
  attest,
  demo,
  decode,
  pki,
  ima,
  eventlog,
  tpm,
  daemon,
  doctor,
  swima,
  db,
  dashboard,
];

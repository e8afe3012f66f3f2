import { parseArgs } from 'node:util';
import { fuzz } from '../test/fuzz/harness';
import { loadTargets } from '../test/fuzz/targets';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '60', short: 's' },
    seed: { type: 'string', default: String(Date.now() & 0x7fffffff) },
    target: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`npm run fuzz -- [--iterations N] [--seconds S] [--seed N] [--target NAME]
  Fuzzes every decoder with random and mutated inputs (N per decoder, at most S seconds each).
  Prints per decoder: inputs, accepted, rejected, crashes. Exits 1 on any crash.`);
  process.exit(0);
}
const seed = Number(values.seed);
let crashes = 0;
console.log(`fuzz seed ${seed}, up to ${values.iterations} inputs and ${values.seconds} s per decoder`);
for (const t of loadTargets().filter((x) => !values.target || x.name.includes(values.target))) {
  const s = fuzz(t, { iterations: Number(values.iterations), seed, seconds: Number(values.seconds) });
  crashes += s.crashes;
  console.log(
    `${t.name.padEnd(36)} inputs ${s.inputs}  accepted ${s.accepted}  rejected ${s.rejected}  crashes ${s.crashes}  (${s.seconds.toFixed(1)} s)`,
  );
  for (const c of s.samples) console.log(`  crash input ${c.input}\n  ${c.error.split('\n').slice(0, 3).join('\n  ')}`);
}
console.log(crashes === 0 ? 'fuzz: 0 crashes' : `fuzz: ${crashes} crashes`);
process.exit(crashes === 0 ? 0 : 1);

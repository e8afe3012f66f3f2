// Child process of kill.test.ts: a collector that keeps recording events until it is killed.
// After every committed pass it prints the store's last EID (stdout to a pipe is synchronous on Linux).
import { SwCollector } from '../../src/imcs/swima/collector';
import { SwimaStore } from '../../src/imcs/swima/store';
import { DEBIAN_12, setVersion } from './fixture';

const [root, db] = process.argv.slice(2);
const store = new SwimaStore(db);
const collector = new SwCollector({ root, store, os: DEBIAN_12 });

async function main(): Promise<void> {
  for (let i = 0; ; i++) {
    await collector.collect();
    process.stdout.write(`${store.lastEid()}\n`);
    setVersion(root, 'bash', `5.2.${i}-1`);
  }
}
void main();

import type { Command } from 'commander';
import { Logger } from '../../log';
import { SwCollector } from '../../imcs/swima/collector';
import { SwimaStore } from '../../imcs/swima/store';
import { DEFAULT_STORE_PATH } from '../../imcs/swima/store-path';
import { DEFAULT_TAG_CREATOR, hostSwOs } from '../../imcs/swima/sw-id';
import { watchDpkg } from '../../imcs/swima/watch';

interface SwimaOpts {
  store: string;
  dpkgRoot: string;
  osRelease: string;
  regid: string;
  json?: boolean;
  since?: string;
}

const actionNames = ['', 'CREATION', 'DELETION', 'ALTERATION'];

async function collector(o: SwimaOpts): Promise<SwCollector> {
  const store = new SwimaStore(o.store);
  return new SwCollector({
    root: o.dpkgRoot,
    store,
    os: await hostSwOs(o.osRelease),
    creator: { ...DEFAULT_TAG_CREATOR, regid: o.regid },
  });
}

function withStore(o: SwimaOpts, fn: (s: SwimaStore) => void): void {
  const store = new SwimaStore(o.store);
  try {
    fn(store);
  } finally {
    store.close();
  }
}

export function register(program: Command): void {
  const swima = program
    .command('swima')
    .description('SWIMA (RFC 8412) software inventory and event store, collected from dpkg')
    .option('--store <path>', 'SWIMA event store (SQLite)', DEFAULT_STORE_PATH)
    .option('--dpkg-root <dir>', 'root of the dpkg tree (var/lib/dpkg/status, var/log/dpkg.log)', '/')
    .option('--os-release <path>', 'os-release file naming the OS in software identifiers', '/etc/os-release')
    .option('--regid <regid>', 'tagCreator regid of the software identifiers', DEFAULT_TAG_CREATOR.regid);
  const opts = (cmd: Command): SwimaOpts => ({ ...swima.opts<SwimaOpts>(), ...cmd.opts<Partial<SwimaOpts>>() });

  swima
    .command('inventory')
    .description('installed software identifiers, as of the last EID')
    .option('--json', 'print JSON')
    .action(function (this: Command) {
      const o = opts(this);
      withStore(o, (s) => {
        const inv = s.inventory();
        if (o.json) console.log(JSON.stringify({ epoch: s.epoch, lastEid: s.lastEid(), inventory: inv }, null, 1));
        else for (const i of inv) console.log(i.swId);
      });
    });

  swima
    .command('events')
    .description('recorded software events')
    .option('--since <eid>', 'earliest EID', '1')
    .option('--json', 'print JSON')
    .action(function (this: Command) {
      const o = opts(this);
      const since = Number(o.since);
      if (!Number.isInteger(since) || since < 0 || since > 0xffffffff)
        this.error(`--since takes an EID (0..4294967295), not '${o.since}'`);
      withStore(o, (s) => {
        const events = s.eventsSince(since);
        if (o.json) console.log(JSON.stringify({ epoch: s.epoch, lastEid: s.lastEid(), events }, null, 1));
        else
          for (const e of events) console.log(`${e.eid} ${e.timestamp} ${actionNames[e.action]} ${e.identifier.swId}`);
      });
    });

  swima
    .command('collect')
    .description('one collection pass over dpkg (the first imports dpkg/apt history)')
    .action(async function (this: Command) {
      const c = await collector(opts(this));
      const n = await c.collect();
      console.log(
        `collected ${n} SW ID events, last eid ${c.store.lastEid()} of epoch 0x${c.store.epoch.toString(16).padStart(8, '0')}`,
      );
      c.store.close();
    });

  swima
    .command('watch')
    .description("collect live: record each change of dpkg's status until interrupted")
    .action(async function (this: Command) {
      const o = opts(this);
      const c = await collector(o);
      const live = watchDpkg(c, o.dpkgRoot, new Logger(1));
      await live.ready;
      process.once('SIGINT', () => void live.close().then(() => c.store.close()));
    });
}

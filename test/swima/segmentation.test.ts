import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, MemorySink } from '../../src/log';
import { OsImc } from '../../src/imcs/os/os-imc';
import { SwCollector } from '../../src/imcs/swima/collector';
import { SwimaImc } from '../../src/imcs/swima/swima-imc';
import { SwimaStore } from '../../src/imcs/swima/store';
import { ImvManager } from '../../src/server-emu/imv-manager';
import { SessionManager } from '../../src/imvs/sessions';
import { OsImv } from '../../src/imvs/os/os-imv';
import { SwimaImv } from '../../src/imvs/swima/swima-imv';
import { PolicyStore } from '../../src/policy/store';
import { SwimaPolicy } from '../../src/policy/swima';
import { WorkitemType } from '../../src/policy/workitem-types';
import { TnccsServer } from '../../src/server-emu/server';
import { ImcManager } from '../../src/tnccs-client/imc-manager';
import { runClientHandshake } from '../../src/tnccs-client/client';
import { Recommendation } from '../../src/tnccs/types';
import { channelPair } from '../helpers/channel-pair';
import { statusFile } from './fixture';
import { dir, handshake, has, lab, osTree } from './lab';

const OS = { name: 'Debian', version: '12', arch: 'x86_64' };
const PACKAGES = 5000;

/** A dpkg tree with `n` synthetic installed packages (an inventory far larger than one PA-TNC message). */
function bigEndpoint(name: string, n = PACKAGES) {
  const root = join(dir, name);
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  const stanzas = Array.from(
    { length: n },
    (_, i) =>
      `Package: synthetic-package-${i}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.${i}-1\nDescription: synthetic\n`,
  );
  writeFileSync(statusFile(root), stanzas.join('\n'));
  const store = new SwimaStore(join(root, 'swima.db'));
  return { store, imc: new SwimaImc({ store, collector: new SwCollector({ root, store, os: OS }), os: OS }) };
}

test(`${PACKAGES} full SWID tags over PT-TLS: one attribute larger than a PA-TNC message, segmented transparently`, async () => {
  const l = await lab('big-tags', '');
  const e = bigEndpoint('big-tags');
  try {
    const r = await handshake(l, e.imc);
    assert.equal(r.outcome.access, 'allow');
    has(l.log.lines, new RegExp(`received software inventory with ${PACKAGES} items for request \\d+`));
    has(l.log.lines, new RegExp(`handled SWIDT workitem \\d+: allow - received ${PACKAGES} SWID tags$`));
    assert.equal((await l.policy!.inventory((await l.server.store.listDevices())[0].value)).length, PACKAGES);
  } finally {
    await l.server.close();
    e.store.close();
  }
});

test(`${PACKAGES} software identifiers under strongSwan's small contract (32698-byte segments), in process`, async () => {
  const store = await PolicyStore.open(join(dir, 'small-contract.db'));
  const e = bigEndpoint('small-contract');
  try {
    await store.addEnforcement(WorkitemType.SWIDT, 'R', { recFail: Recommendation.NO_ACCESS });
    const sessions = new SessionManager(store);
    const imvs = new ImvManager();
    imvs.add(new OsImv(sessions));
    imvs.add(new SwimaImv(sessions, SwimaPolicy.of(store)));
    const imcs = new ImcManager();
    imcs.add(new OsImc(osTree()));
    imcs.add(e.imc);
    const sink = new MemorySink();
    const log = new Logger(2, 'text', sink);
    // seed: max_batch_size 32754 gives "maximum segment size of 32698 bytes"
    const [c, s] = channelPair(32754);
    const server = new TnccsServer(imvs, { policy: 'default', log: log.with({ side: 'server' }) });
    const [outcome] = await Promise.all([
      runClientHandshake(imcs, c, { connectionId: 1, language: 'en', log: log.with({ side: 'client' }) }),
      server.serve(s),
    ]);
    assert.equal(outcome.access, 'allow');
    has(sink.lines, /^client \[IMC\] {3}no message size limit, maximum segment size of 32698 bytes$/);
    has(
      sink.lines,
      new RegExp(`^server \\[IMV\\] received software ID inventory with ${PACKAGES} items for request \\d+`),
    );
    const segments = sink.lines.filter((x) =>
      /^client .*creating PA-TNC attribute type 'TCG\/Segmentation Envelope'/.test(x),
    ).length;
    assert.ok(segments > 10, `the inventory went in ${segments} envelopes`);
    assert.equal((await SwimaPolicy.of(store).inventory((await store.listDevices())[0].value)).length, PACKAGES);
  } finally {
    await store.close();
    e.store.close();
  }
});

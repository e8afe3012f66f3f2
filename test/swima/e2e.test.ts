import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { addPackage, removePackage, setVersion } from './fixture';
import { agent, handshake, has, lab, Lab } from './lab';

let ids: Lab;
before(async () => {
  ids = await lab('ids', 'R');
});
after(async () => {
  await ids.server.close();
});

test('first handshake: the whole inventory; second: only the new events; an epoch change starts over', async () => {
  const a = agent('endpoint');
  const first = await handshake(ids, a.imc);
  assert.equal(first.outcome.access, 'allow');
  has(ids.log.lines, /IMV \d+ issues sw request \d+ with earliest eid 0$/);
  has(
    ids.log.lines,
    /received software ID inventory with 781 items for request \d+ at last eid \d+ of epoch 0x[0-9a-f]{8}, 0 items to follow$/,
  );
  has(ids.log.lines, /IMV \d+ handled SWIDT workitem \d+: allow - received inventory of 781 SW IDs and 0 SWID tags$/);
  const deviceId = (await ids.server.store.listDevices())[0].value;
  assert.ok((await ids.policy!.inventory(deviceId)).includes('strongswan.org__Debian_12-x86_64-bash-5.2.15-2~b8'));
  const lastEid = a.store.lastEid();
  assert.deepEqual(await ids.policy!.state(deviceId), { epoch: a.store.epoch, lastEid });

  setVersion(a.root, 'bash', '5.2.15-3');
  removePackage(a.root, 'less');
  addPackage(a.root, 'telnet', '0.17+2.4-2');
  ids.log.lines.length = 0;
  const second = await handshake(ids, a.imc);
  assert.equal(second.outcome.access, 'allow');
  has(ids.log.lines, new RegExp(`issues sw request \\d+ with earliest eid ${lastEid + 1}$`));
  has(
    ids.log.lines,
    new RegExp(`received software ID events with 4 items for request \\d+ at last eid ${lastEid + 4} of epoch`),
  );
  has(ids.log.lines, /handled SWIDT workitem \d+: allow - received 4 SW ID events and 0 SWID tags$/);
  const inv = await ids.policy!.inventory(deviceId);
  assert.ok(
    inv.includes('strongswan.org__Debian_12-x86_64-bash-5.2.15-3') &&
      !inv.includes('strongswan.org__Debian_12-x86_64-bash-5.2.15-2~b8'),
  );
  assert.equal(
    inv.some((id) => id.includes('-less-')),
    false,
  );
  assert.ok(inv.includes('strongswan.org__Debian_12-x86_64-telnet-0.17~2.4-2'));
  assert.equal(inv.length, 781);

  // a new store (reinstalled agent): new epoch; the IMV discards what it had and asks for the inventory
  const b = agent('reinstalled');
  ids.log.lines.length = 0;
  const third = await handshake(ids, b.imc);
  assert.equal(third.outcome.access, 'allow');
  has(ids.log.lines, /EID epoch changed from 0x[0-9a-f]{8} to 0x[0-9a-f]{8}, requesting the whole inventory$/);
  has(ids.log.lines, /issues sw request \d+ with earliest eid 0$/);
  assert.deepEqual(await ids.policy!.state(deviceId), { epoch: b.store.epoch, lastEid: b.store.lastEid() });
  assert.equal((await ids.policy!.inventory(deviceId)).length, 781);
  a.store.close();
  b.store.close();
});

test('a blocklisted package makes the SWIDT workitem fail: no access', async () => {
  const a = agent('blocked');
  await ids.server.store.setPackageBlocklisted('openssl', true);
  try {
    const r = await handshake(ids, a.imc);
    assert.equal(r.outcome.access, 'no access');
    has(
      ids.log.lines,
      /handled SWIDT workitem \d+: no access - .* 1 blocklisted: strongswan.org__Debian_12-x86_64-openssl-3.0.22-1~deb12u2$/,
    );
  } finally {
    await ids.server.store.setPackageBlocklisted('openssl', false);
    a.store.close();
  }
});

test('subscriptions: denied as in the seed when not enabled, established when enabled', async () => {
  const subs = await lab('subs', 'RS');
  try {
    const denied = agent('nosubs');
    const r = await handshake(subs, denied.imc);
    assert.equal(r.outcome.access, 'allow');
    for (const re of [
      /SWIMA subscription \d+ requested$/,
      /received PA-TNC error 'SWIMA Subscription Denied' for request \d+$/,
      /^\[IMV\] {3}description: subscriptions not enabled$/,
      /SWIMA subscription \d+ cleared$/,
    ])
      has(subs.log.lines, re);
    const granted = agent('subs', { subscriptions: true });
    subs.log.lines.length = 0;
    const g = await handshake(subs, granted.imc);
    assert.equal(g.outcome.access, 'allow');
    has(g.lines, /SWIMA subscription \d+ established$/);
    assert.equal(
      subs.log.lines.some((l) => l.includes('Subscription Denied')),
      false,
    );
    denied.store.close();
    granted.store.close();
  } finally {
    await subs.server.close();
  }
});

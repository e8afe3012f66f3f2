import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CODECS } from '../../src/protocol/codecs';
import { DecodeError } from '../../src/bytes/errors';
import { decodePaMessage, encodePaMessage } from '../../src/protocol/pa-tnc/message';
import { PaAttribute } from '../../src/protocol/pa-tnc/registry';
import * as ita from '../../src/protocol/pa-tnc/ita';

function roundTrip(attrs: PaAttribute[]): void {
  const bytes = encodePaMessage({ messageId: 1, attributes: attrs });
  const back = decodePaMessage(bytes, ALL_CODECS.pa);
  back.attributes.forEach((a, i) => {
    assert.equal(a.spec, attrs[i].spec);
    assert.deepEqual(a.value, attrs[i].value);
  });
  assert.deepEqual(encodePaMessage(back), bytes);
}

const itaMessage = (type: number, value: number[]) =>
  Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, 0, 0x00, 0x90, 0x2a, 0, 0, 0, type, 0, 0, 0, 12 + value.length, ...value]);

const rejects = (b: Buffer, kind: DecodeError['kind'], offset: number) =>
  assert.throws(
    () => decodePaMessage(b, ALL_CODECS.pa),
    (e: unknown) => e instanceof DecodeError && e.kind === kind && e.offset === offset,
  );

test('every ITA-HSR attribute round-trips', () => {
  roundTrip([
    ita.CommandAttr.make('reboot'),
    ita.DummyAttr.make({ size: 100 }),
    ita.GetSettingsAttr.make(['libimcv.plugins.imc-os.device_id', '']),
    ita.SettingsAttr.make([
      { name: 'a', value: 'b' },
      { name: 'ü', value: '' },
    ]),
    ita.StartAngelAttr.make({}),
    ita.StopAngelAttr.make({}),
    ita.DeviceIdAttr.make('af61115643f343bb6d36373db32c73a70ddb277b'),
    ita.GetSymlinksAttr.make('/'),
    ita.SymlinksAttr.make([
      { symlink: '/bin', target: '/usr/bin' },
      { symlink: '/lib', target: '/usr/lib' },
    ]),
  ]);
});

test('ITA-HSR names and describe lines match strongSwan', () => {
  const a = ita.SymlinksAttr.make([{ symlink: '/bin', target: '/usr/bin' }]);
  assert.deepEqual(a.spec?.describe?.(a.value), ['directory symlinks:', '  /bin -> /usr/bin']);
  assert.equal(ita.DeviceIdAttr.fullName, 'ITA-HSR/Device ID');
  assert.equal(ita.GetSymlinksAttr.fullName, 'ITA-HSR/Get Symlinks');
});

test('counts that cannot fit the value are refused before any loop', () => {
  rejects(itaMessage(10, [0xff, 0xff, 0xff, 0xff, 0, 1, 0x2f, 0, 1, 0x2f]), 'overrun', 20);
  rejects(itaMessage(3, [0, 0, 0, 3, 0, 1, 0x61]), 'overrun', 20);
});

test('a symlink entry whose length overruns is refused at its length field', () => {
  rejects(itaMessage(10, [0, 0, 0, 1, 0, 4, 0x2f, 0x62, 0x69, 0x6e, 0, 9, 0x2f]), 'overrun', 30);
});

test('empty attributes must be empty; Dummy must be 0xDD', () => {
  rejects(itaMessage(5, [0]), 'trailing', 20);
  rejects(itaMessage(2, [0xdd, 0xdd, 0x00]), 'invalid', 22);
});

import { ALL_CODECS } from '../../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../../src/protocol/pa-tnc/message';
import * as ita from '../../../src/protocol/pa-tnc/ita';
import type { FuzzTarget } from '../harness';

const seed = encodePaMessage({
  messageId: 1,
  attributes: [
    ita.CommandAttr.make('run'),
    ita.DummyAttr.make({ size: 8 }),
    ita.GetSettingsAttr.make(['a', 'bc']),
    ita.SettingsAttr.make([{ name: 'a', value: 'b' }]),
    ita.StartAngelAttr.make({}),
    ita.DeviceIdAttr.make('af61115643f343bb6d36373db32c73a70ddb277b'),
    ita.GetSymlinksAttr.make('/'),
    ita.SymlinksAttr.make([{ symlink: '/bin', target: '/usr/bin' }]),
  ],
});

export const targets: FuzzTarget[] = [
  { name: 'pa-tnc ita-hsr attributes', decode: (b) => decodePaMessage(b, ALL_CODECS.pa), seeds: [seed] },
];

import { ALL_CODECS } from '../../../src/protocol/codecs';
import { decodePaMessage, encodePaMessage } from '../../../src/protocol/pa-tnc/message';
import { answerDecodeError } from '../../../src/protocol/pa-tnc/errors';
import { isDecodeError } from '../../../src/bytes/errors';
import * as ietf from '../../../src/protocol/pa-tnc/ietf';
import type { FuzzTarget } from '../harness';

const seed = encodePaMessage({
  messageId: 0x9db26aae,
  attributes: [
    ietf.AttributeRequestAttr.make([{ vendor: 0, type: 7 }]),
    ietf.NumericVersionAttr.make({ major: 12, minor: 0, build: 0, servicePackMajor: 0, servicePackMinor: 0 }),
    ietf.StringVersionAttr.make({ version: '12 x86_64', build: 'b', config: '' }),
    ietf.OperationalStatusAttr.make({ status: 'operational', result: 'successful', lastUse: '2026-11-27T02:24:07Z' }),
    ietf.PortFilterAttr.make([{ blocked: true, protocol: 6, port: 22 }]),
    ietf.InstalledPackagesAttr.make([{ name: 'libc6', version: '2.36' }]),
    ietf.AssessmentResultAttr.make('compliant'),
    ietf.RemediationInstructionsAttr.make({ kind: 'string', text: 'fix', language: 'en' }),
    ietf.ForwardingEnabledAttr.make('enabled'),
    ietf.FactoryDefaultPasswordAttr.make(false),
  ],
});
const errors = encodePaMessage({
  messageId: 1,
  attributes: [
    ietf.PaTncErrorAttr.make({
      vendor: 0,
      code: 1,
      info: {
        kind: 'invalid-parameter',
        message: { kind: 'message', version: 1, reserved: 0, messageId: 2 },
        offset: 9,
      },
    }),
    ietf.PaTncErrorAttr.make({
      vendor: 0,
      code: 3,
      info: {
        kind: 'attribute-type-not-supported',
        message: { kind: 'segmented', baseMessageId: 2 },
        attribute: { flags: 0x80, vendor: 1, type: 2 },
      },
    }),
    ietf.PaTncErrorAttr.make({
      vendor: 0,
      code: 6,
      info: { kind: 'swima-response-too-large', requestId: 1, maxAllowedSize: 9, description: 'big' },
    }),
    ietf.PaTncErrorAttr.make({
      vendor: 0,
      code: 7,
      info: { kind: 'swima-fulfillment', subscriptionId: 1, error: { vendor: 0, code: 4, info: Buffer.from([1]) } },
    }),
  ],
});

export const targets: FuzzTarget[] = [
  { name: 'pa-tnc ietf attributes', decode: (b) => decodePaMessage(b, ALL_CODECS.pa), seeds: [seed] },
  {
    // decode, and on failure build the PA-TNC Error answer: neither step may crash
    name: 'pa-tnc ietf errors + answers',
    decode(b) {
      try {
        return decodePaMessage(b, ALL_CODECS.pa);
      } catch (e) {
        if (isDecodeError(e)) answerDecodeError(e, b);
        throw e;
      }
    },
    seeds: [errors],
  },
];

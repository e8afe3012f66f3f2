import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadedModules } from '../helpers/loaded-modules';

// What `tnc-agent attest` loads before it connects (its module graph, run as `attest --help`): the
// endpoint's IMCs and the client, never the server, the verifiers, the policy store, SQLite, the
// SWIMA IMC and its codecs (loaded when SWIMA runs), lab code or systeminformation.
const NOT_LOADED: [RegExp, string][] = [
  [/src\/(server-emu|imvs|policy|dashboard|db|lab|daemon|bridge)\//, 'server, verifier, store or other front-end code'],
  // (its default store path is a constant of its own, for the --swima-store help)
  [/src\/imcs\/swima\/(?!store-path\.ts$)/, 'the SWIMA IMC'],
  [/src\/protocol\/pa-tnc\/swima\//, 'the SWIMA codecs'],
  [/src\/transport\/(pt-tls\/server|radius)/, 'a server transport'],
  [/node_modules\/(better-sqlite3|systeminformation|pg|hono|@hono|chokidar)\//, 'a package attest does not use'],
];

test('attest loads the endpoint IMCs and the PT-TLS client, nothing of the server side', () => {
  const r = loadedModules('attest', '--help');
  assert.equal(r.status, 0);
  const ours = r.modules.filter((f) => !f.includes('node_modules/tsx/'));
  for (const must of [/src\/imcs\/attestation\//, /src\/imcs\/os\//, /src\/transport\/pt-tls\/client/])
    assert.ok(
      ours.some((f) => must.test(f)),
      `nothing matching ${must} was loaded: the list is not the attest path`,
    );
  for (const [pattern, what] of NOT_LOADED) {
    const hits = ours.filter((f) => pattern.test(f));
    assert.deepEqual(hits, [], `attest loaded ${what}`);
  }
});

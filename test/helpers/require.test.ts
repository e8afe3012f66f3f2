import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skipUnlessRequired } from './require';

test('a step CI requires (TNC_REQUIRE) fails instead of skipping; others skip with their reason', () => {
  assert.throws(
    () => skipUnlessRequired('system', 'qemu-system-x86_64 is not installed', { TNC_REQUIRE: 'deb,system' }),
    /TNC_REQUIRE=deb,system requires the system test, but it cannot run: qemu-system-x86_64 is not installed/,
  );
  assert.equal(skipUnlessRequired('system', 'no KVM', { TNC_REQUIRE: 'deb' }), 'no KVM');
  assert.equal(skipUnlessRequired('deb', 'needs root', {}), 'needs root');
  assert.equal(skipUnlessRequired('deb', undefined, { TNC_REQUIRE: 'deb' }), undefined);
});

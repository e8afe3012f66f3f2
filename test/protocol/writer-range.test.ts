import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../src/bytes/cursor';

test('a value that does not fit its field throws instead of being masked', () => {
  assert.throws(() => new Writer().u16(70000), /70000 does not fit a u16 field \(0\.\.65535\)/);
  assert.throws(() => new Writer().u8(256), RangeError);
  assert.throws(() => new Writer().u24(0x1000000), RangeError);
  assert.throws(() => new Writer().u32(2 ** 32), RangeError);
  assert.throws(() => new Writer().u32(-1), RangeError);
  assert.throws(() => new Writer().u16(1.5), RangeError);
  assert.throws(() => new Writer().u32(0).patchU32(0, 2 ** 32), RangeError);
  assert.deepEqual([...new Writer().u8(255).u16(65535).u24(0xffffff).u32(0xffffffff).finish()], Array(10).fill(255));
});

import assert from 'node:assert/strict';
import { plainLogFields } from '../../../src/storage/worker/logFields.ts';

describe('worker log fields (plainLogFields)', () => {
  // Ensure fields JSON can hold pass as data, and nothing becomes an empty object.
  it('passes JSON-safe fields through as data', () => {
    assert.equal(plainLogFields(undefined), undefined);
    assert.deepEqual(plainLogFields({ file: 'a.ts', n: 3, at: { line: 1 } }), {
      file: 'a.ts',
      n: 3,
      at: { line: 1 },
    });
  });

  // Ensure a field JSON refuses (a BigInt, a cycle) still shows its value, not "[object Object]".
  it('shows fields JSON cannot hold as text', () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    const big = plainLogFields({ rowid: 12345678901234567890n });
    assert.match(String(big?.fields), /rowid: 12345678901234567890n/);
    assert.match(String(plainLogFields({ cycle })?.fields), /name: 'loop'/);
  });
});

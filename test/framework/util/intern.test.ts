import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { WeakInterner } from '../../../framework/util/intern.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('WeakInterner', () => {
  it('returns the live value for a key and builds one only on a miss', () => {
    const table = new WeakInterner<{ n: number }>();
    let built = 0;
    const a = table.intern('k', () => ({ n: ++built }));
    expect(table.intern('k', () => ({ n: ++built }))).toBe(a);
    expect(table.intern('other', () => ({ n: ++built }))).not.toBe(a);
    expect(built).toBe(2);
    expect(table.get('k')).toBe(a);
    expect(table.get('missing')).toBeUndefined();
  });

  it('stores nothing when make throws', () => {
    const table = new WeakInterner<object>();
    expect(() => table.intern('bad', () => { throw new Error('no'); })).toThrow('no');
    expect(table.size).toBe(0);
  });

  it('does not keep a value alive', async () => {
    const table = new WeakInterner<{ n: number }>();
    (() => {
      table.intern('k', () => ({ n: 1 }));
    })();
    await new Promise((resolve) => setImmediate(resolve)); // WeakRef targets live until the job ends
    gc();
    expect(table.get('k')).toBeUndefined();
    const again = table.intern('k', () => ({ n: 2 }));
    expect(again.n).toBe(2);
  });
});

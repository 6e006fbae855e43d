import { describe, expect, it } from 'vitest';
import { TOKEN_BYTES, TOKEN_ROTATE_MS, TokenManager } from '../../../../communities/dht/storage/token-manager.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { addressKey } from '../../../../framework/endpoint/address.js';
import { InvalidArgumentError } from '../../../../framework/errors.js';
import { SeededRandom } from '../../../../framework/random/random.js';
import { ManualClock } from '../../../../framework/time/manual-clock.js';
import { concatBytes, utf8 } from '../../../../framework/util/bytes.js';

const ALICE = { host: '10.0.0.1', port: 8090 };

function setup(seed = 1): { clock: ManualClock; tokens: TokenManager } {
  const clock = new ManualClock();
  return { clock, tokens: new TokenManager(clock, new SeededRandom(seed)) };
}

describe('TokenManager', () => {
  it('issues 8-byte tokens valid for the same address only', () => {
    const { tokens } = setup();
    const token = tokens.issue(ALICE);
    expect(token).toHaveLength(TOKEN_BYTES);
    expect(tokens.verify(token, { host: '10.0.0.1', port: 8090 })).toBe(true);
    expect(tokens.verify(token, { host: '10.0.0.2', port: 8090 })).toBe(false);
    expect(tokens.verify(token, { host: '10.0.0.1', port: 8091 })).toBe(false);
    expect(tokens.verify(tokens.issue({ host: '::1', port: 1 }), { host: '::1', port: 1 })).toBe(true);
  });

  it('is stable within a period and differs per address', () => {
    const { tokens } = setup();
    expect(tokens.issue(ALICE)).toEqual(tokens.issue(ALICE));
    expect(tokens.issue(ALICE)).not.toEqual(tokens.issue({ host: '10.0.0.1', port: 8091 }));
  });

  it('hands out its own copy of a remembered token, and remembers tokens of many addresses correctly', () => {
    const { tokens } = setup();
    const token = tokens.issue(ALICE);
    token.fill(0); // the caller's copy: the next answer and the check are unaffected
    expect(tokens.issue(ALICE)).not.toEqual(token);
    expect(tokens.verify(tokens.issue(ALICE), ALICE)).toBe(true);
    const issued = Array.from({ length: 1_000 }, (_, i) => tokens.issue({ host: '10.0.0.1', port: 1 + i }));
    expect(issued.every((t, i) => tokens.verify(t, { host: '10.0.0.1', port: 1 + i }))).toBe(true);
    expect(issued.some((t, i) => tokens.verify(t, { host: '10.0.0.1', port: 2 + i }))).toBe(false);
  });

  it('gives the documented token (SHA-256 of secret and address key, first 8 bytes) whether remembered or not, across the memo starting over', async () => {
    const { clock, tokens } = setup(7);
    const secrets = new SeededRandom(7);
    const expected = (secret: Uint8Array, key: string): Uint8Array => sha256(concatBytes(secret, utf8(key))).subarray(0, TOKEN_BYTES);
    const addresses = Array.from({ length: 150 }, (_, i) => (i % 3 === 2 ? { host: `2001:db8::${i}`, port: 9000 + i } : { host: `198.18.${i}.1`, port: 7000 + i }));
    const first = secrets.bytes(32);
    for (let round = 0; round < 2; round++) {
      for (const a of addresses) expect(tokens.issue(a)).toEqual(expected(first, addressKey(a)));
    }
    await clock.advance(TOKEN_ROTATE_MS);
    const second = secrets.bytes(32);
    for (const a of addresses) {
      expect(tokens.verify(expected(first, addressKey(a)), a)).toBe(true);
      expect(tokens.issue(a)).toEqual(expected(second, addressKey(a)));
    }
  });

  it('stays valid after one rotation and not after two', async () => {
    const { clock, tokens } = setup();
    const token = tokens.issue(ALICE);
    await clock.advance(TOKEN_ROTATE_MS - 1);
    expect(tokens.verify(token, ALICE)).toBe(true);
    await clock.advance(1); // first rotation
    expect(tokens.issue(ALICE)).not.toEqual(token);
    expect(tokens.verify(token, ALICE)).toBe(true);
    await clock.advance(TOKEN_ROTATE_MS); // second rotation
    expect(tokens.verify(token, ALICE)).toBe(false);
  });

  it('forgets both secrets after a long idle gap', async () => {
    const { clock, tokens } = setup();
    const token = tokens.issue(ALICE);
    await clock.advance(1); // the token is now a little older than the period start
    const fresh = tokens.issue(ALICE);
    await clock.advance(2 * TOKEN_ROTATE_MS + 5);
    expect(tokens.verify(token, ALICE)).toBe(false);
    expect(tokens.verify(fresh, ALICE)).toBe(false);
  });

  it('keeps its rotation schedule when checked rarely', async () => {
    const { clock, tokens } = setup();
    await clock.advance(TOKEN_ROTATE_MS + TOKEN_ROTATE_MS / 2); // one rotation, checked late
    const token = tokens.issue(ALICE);
    await clock.advance(TOKEN_ROTATE_MS / 2); // second rotation at 2 periods: token now previous
    expect(tokens.verify(token, ALICE)).toBe(true);
    await clock.advance(TOKEN_ROTATE_MS); // third rotation
    expect(tokens.verify(token, ALICE)).toBe(false);
  });

  it('rejects tokens of the wrong length or from another manager', () => {
    const { tokens } = setup(1);
    const other = setup(2).tokens;
    const token = tokens.issue(ALICE);
    expect(tokens.verify(token.subarray(0, 7), ALICE)).toBe(false);
    expect(tokens.verify(new Uint8Array(9), ALICE)).toBe(false);
    expect(other.verify(token, ALICE)).toBe(false);
  });

  it('schedules no timers and validates rotateMs', () => {
    const { clock } = setup();
    expect(clock.pendingTimers()).toBe(0);
    expect(() => new TokenManager(clock, new SeededRandom(1), 0)).toThrow(InvalidArgumentError);
  });
});

import { describe, expect, it } from 'vitest';
import { TokenManager } from '../../../../communities/dht/storage/token-manager.js';
import { SeededRandom } from '../../../../framework/random/random.js';
import { ManualClock } from '../../../../framework/time/manual-clock.js';

describe('TokenManager with the same address object asked about twice', () => {
  it('an address object changed between calls is judged by its new host and port', () => {
    const tokens = new TokenManager(new ManualClock(), new SeededRandom(3));
    const address = { host: '10.0.0.1', port: 8090 };
    const first = tokens.issue(address);
    expect(tokens.verify(first, address)).toBe(true);
    address.port = 8091;
    expect(tokens.verify(first, address)).toBe(false);
    const second = tokens.issue(address);
    expect(second).not.toEqual(first);
    expect(tokens.verify(second, { host: '10.0.0.1', port: 8091 })).toBe(true);
    address.host = '10.0.0.2';
    expect(tokens.verify(second, address)).toBe(false);
    expect(tokens.verify(first, { host: '10.0.0.1', port: 8090 })).toBe(true);
  });
});

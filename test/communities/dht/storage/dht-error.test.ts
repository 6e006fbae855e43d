import { describe, expect, it } from 'vitest';
import { DHTError } from '../../../../communities/dht/errors.js';
import { PeerlayError } from '../../../../framework/errors.js';

describe('DHTError', () => {
  it('carries a reason, a name and a cause', () => {
    const cause = new Error('socket closed');
    const error = new DHTError('store of key 00ff failed', 'rejected', { cause });
    expect(error).toBeInstanceOf(PeerlayError);
    expect(error).toBeInstanceOf(DHTError);
    expect(error.name).toBe('DHTError');
    expect(error.reason).toBe('rejected');
    expect(error.message).toBe('store of key 00ff failed');
    expect(error.cause).toBe(cause);
  });
});

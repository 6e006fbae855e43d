import { describe, expect, it } from 'vitest';
import { countersToJSON } from '../../../framework/index.js';

describe('countersToJSON', () => {
  it('copies numbers and count records, so later changes do not leak into the copy', () => {
    const counters = { adds: 3, verdicts: { stored: 2, full: 1 } as Record<string, number> };
    const json = countersToJSON(counters);
    expect(json).toEqual({ adds: 3, verdicts: { stored: 2, full: 1 } });
    counters.adds = 9;
    counters.verdicts['stored'] = 7;
    expect(json).toEqual({ adds: 3, verdicts: { stored: 2, full: 1 } });
  });
});

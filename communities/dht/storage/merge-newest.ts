/**
 * Combining the answers of several nodes to one value lookup.
 * @module
 */
import { compareBytes, toHex } from '../../../framework/util/bytes.js';
import type { ValueRecord } from './value-record.js';
import { isSigned, isWellFormed, recordId, verifyRecord } from './value-record.js';

/** Decides whether a record may be used; {@link verifyRecord} by default. */
export type RecordVerifier = (record: ValueRecord) => boolean;

const NO_BYTES = new Uint8Array(0);

/** Newest version first; equal versions by data, then signature bytes, so the choice is order-independent. */
function preferred(a: ValueRecord, b: ValueRecord): number {
  if (a.version !== b.version) return b.version - a.version;
  return compareBytes(a.data, b.data) || compareBytes(a.signature ?? NO_BYTES, b.signature ?? NO_BYTES);
}

/**
 * Merges the records several nodes returned for a lookup: for each (key, publisher) the newest signed
 * version that verifies; each distinct unsigned data once. Malformed records and records the verifier
 * rejects are dropped, so a forged newer version cannot hide a genuine older one. The result does not depend
 * on the order of `records`: equal versions with different data resolve to the smallest data bytes.
 * @param records the records from every responder, in any order, duplicates allowed.
 * @param verify the check each candidate must pass. @default verifyRecord
 * @returns the merged records ordered by key, then signed by publisher mid, then unsigned by data hash.
 * @example
 * ```ts
 * const values = mergeNewest(responses.flatMap((r) => r.records));
 * ```
 */
export function mergeNewest(
  records: readonly ValueRecord[],
  verify: RecordVerifier = (record) => verifyRecord(record),
): ValueRecord[] {
  const groups = new Map<string, ValueRecord[]>();
  for (const record of records) {
    if (!isWellFormed(record)) continue;
    const group = `${toHex(record.key)}|${recordId(record)}`;
    const list = groups.get(group);
    if (list === undefined) groups.set(group, [record]);
    else list.push(record);
  }
  const merged: Array<[string, ValueRecord]> = [];
  for (const [group, candidates] of groups) {
    if (candidates.length > 1 && candidates.some(isSigned)) candidates.sort(preferred);
    // Try candidates best first; identical copies of a failed one are skipped without re-verifying.
    let failed: ValueRecord | undefined;
    for (const candidate of candidates) {
      if (failed !== undefined && preferred(failed, candidate) === 0) continue;
      if (verify(candidate)) {
        merged.push([group, candidate]);
        break;
      }
      failed = candidate;
    }
  }
  return merged.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, record]) => record);
}

/**
 * Loading the state database into the node's record stores at start: every record type's records (each
 * checked again as if it had just arrived), and the values of a database written by an older Peerlay (schema
 * 1), which are moved into the record layout.
 * @module
 */
import type { DHTCommunity, ValueRecord } from '../../communities/dht/index.js';
import type { BagCommunity } from '../../communities/bag/index.js';
import type { NamespaceCommunity } from '../../communities/namespace/index.js';
import type { DictCommunity } from '../../communities/dict/index.js';
import type { ProvidersCommunity } from '../../communities/providers/index.js';
import type { ImmutableCommunity } from '../../communities/immutable/index.js';
import { equalBytes } from '../../framework/index.js';
import type { StateDb } from './state-db.js';

/** Counts of one restore. */
export interface RestoreReport {
  /** Restored, expired and refused records per type (`value`, `bag`, `namespace`, `dict`), and legacy values moved. */
  readonly counts: Readonly<Record<string, number>>;
  /** The highest version among this node's own signed values (0 if none), so new versions stay above it. */
  readonly lastOwnVersion: number;
}

/**
 * Restores every record type from `db`. Call before the node starts answering.
 * @param now the node's clock reading, in ms.
 */
export function restoreRecords(nodes: { dht: DHTCommunity; bag: BagCommunity; namespace: NamespaceCommunity; immutable?: ImmutableCommunity; providers?: ProvidersCommunity; dict?: DictCommunity }, db: StateDb, now: number): RestoreReport {
  const counts: Record<string, number> = {};
  const engines = [nodes.dht.values, nodes.bag.entries, nodes.namespace.records, ...(nodes.immutable === undefined ? [] : [nodes.immutable.chunks]), ...(nodes.providers === undefined ? [] : [nodes.providers.records]), ...(nodes.dict === undefined ? [] : [nodes.dict.entries])] as const;
  for (const engine of engines) {
    const r = engine.restore();
    counts[`${engine.policy.name}Restored`] = r.restored;
    counts[`${engine.policy.name}Expired`] = r.expired;
    counts[`${engine.policy.name}Refused`] = r.refused;
  }
  let legacy = 0;
  for (const v of db.legacyValues()) {
    if (!(v.expiresAt > now)) continue;
    const record: ValueRecord = {
      key: new Uint8Array(v.key),
      data: new Uint8Array(v.data),
      publicKey: v.publicKey == null ? undefined : new Uint8Array(v.publicKey),
      version: v.version,
      signature: v.signature == null ? undefined : new Uint8Array(v.signature),
    };
    const verdict = nodes.dht.store.put(record, v.expiresAt - now, { origin: v.origin });
    if (verdict === 'stored' || verdict === 'updated' || verdict === 'refreshed') legacy++;
  }
  if (legacy > 0) counts.legacyValuesMoved = legacy;
  db.dropLegacyValues();
  return { counts, lastOwnVersion: lastOwnVersion(nodes.dht) };
}

function lastOwnVersion(dht: DHTCommunity): number {
  const own = dht.context.key.publicKey.toBinary();
  let last = 0;
  for (const location of dht.store.locations()) {
    for (const held of dht.store.get(location)) {
      const key = held.record.publicKey;
      if (held.origin === 'local' && key !== undefined && equalBytes(key, own)) last = Math.max(last, held.record.version);
    }
  }
  return last;
}

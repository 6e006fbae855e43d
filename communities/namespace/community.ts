/**
 * NamespaceCommunity: values under a publisher's public key (qadom's `namespace`, done safely, BEP 44
 * style): signed, sequence-numbered, compare-and-swap, stored on the k nodes closest to
 * `SHA-1(public key | key)`. Namespace records are a record type of the DHT's record engine; this file is
 * the namespace's API.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { PublicKey, TOKENS, communityIdFromName, toHex, utf8 } from '../../framework/index.js';
import type { CommunityContext } from '../../framework/index.js';
import { DHTCommunity } from '../dht/index.js';
import type { ClosestNode, PublishOutcome, RecordEngine, RecordVerdict } from '../dht/index.js';
import { RecordCommunity } from '../dht/records/record-community.js';
import { NamespaceError } from './errors.js';
import type { NamespaceRecordWireValue } from './policy.js';
import { NamespaceMessages, namespacePolicy } from './policy.js';
import type { NamespaceRecord } from './record.js';
import { MAX_NAMESPACE_KEY_BYTES, namespaceLocation, signNamespaceRecord } from './record.js';
import type { NamespaceSettings, ResolvedNamespaceSettings } from './settings.js';
import { resolveNamespaceSettings } from './settings.js';

/** The namespace community's id: SHA-1 of `peerlay/namespace/v1`. */
export const NAMESPACE_COMMUNITY_ID = communityIdFromName('peerlay/namespace/v1');

/** Events of a {@link NamespaceCommunity}. */
export interface NamespaceEvents {
  /** This node, as a storer, accepted a record at `location`. */
  'record:stored': [location: Uint8Array, verdict: RecordVerdict];
}

/** Options of {@link NamespaceCommunity.set}. */
export interface SetOptions {
  /** The seq to write. @default one above the highest seq found on the storers or written by this node */
  seq?: number;
  /** Compare-and-swap: write only where the storer holds exactly this seq. */
  cas?: number;
  /** Lifetime in ms; renewed before it ends while this node runs. @default `defaultTtlMs` (1 h) */
  ttlMs?: number;
  /** Cancels the operation. */
  signal?: AbortSignal;
}

/** What {@link NamespaceCommunity.set} achieved. */
export interface SetOutcome extends PublishOutcome {
  /** The seq written. */
  readonly seq: number;
}

/** A value read with {@link NamespaceCommunity.get}. */
export interface NamespaceValue {
  /** The value. */
  readonly value: Uint8Array;
  /** Its seq: the highest valid one among the storers asked. */
  readonly seq: number;
  /** The publisher. */
  readonly publicKey: PublicKey;
  /** When the freshest copy found expires (ms since the epoch, this node's clock). */
  readonly expiresAt: number;
}

/**
 * Values under a publisher's key: only the key's owner can write them, readers get the highest valid
 * seq. Register it after {@link DHTCommunity}.
 *
 * @example
 * ```ts
 * host.register(DHTCommunity);
 * const ns = host.register(NamespaceCommunity);
 * await host.start();
 * await ns.set('profile', utf8('v1'));                       // seq 0, then 1, 2, ...
 * const got = await ns.get(host.key.publicKey, 'profile');   // { value, seq, publicKey }
 * ```
 */
@injectable()
export class NamespaceCommunity extends RecordCommunity<NamespaceRecord, NamespaceRecordWireValue, NamespaceEvents> {
  /** Settings with defaults applied. */
  declare readonly settings: ResolvedNamespaceSettings;
  /** The highest seq this node wrote per location hex (survives expiry of the record). */
  private readonly lastSeq = new Map<string, number>();

  /** @param ctx the node's services. @param dht the node's DHT. @param settings see {@link NamespaceSettings}. */
  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(DHTCommunity) dht: DHTCommunity,
    @inject(TOKENS.Settings) settings: NamespaceSettings,
  ) {
    const s = resolveNamespaceSettings(settings ?? {});
    super(ctx, NAMESPACE_COMMUNITY_ID, dht, s, {
      policy: namespacePolicy({ maxValueBytes: s.maxValueBytes, maxTtlMs: s.maxTtlMs }, ctx.keys),
      messages: NamespaceMessages,
      onAccepted: (location, verdict) => this.emit('record:stored', location, verdict),
      error: NamespaceError,
    });
  }

  /** The namespace's record engine (its store of records, counters, this node's own records). */
  get records(): RecordEngine<NamespaceRecord, NamespaceRecordWireValue> {
    return this.engine;
  }

  /**
   * Writes `value` under `key` in this node's namespace, signed with its key.
   * @returns the seq written, how many nodes hold it, and every storer's verdict.
   * @throws {@link NamespaceError} `too-large` / `invalid-key` / `invalid-seq` / `invalid-ttl` /
   *   `invalid-value` before anything is sent; `stale` / `conflict` / `rejected` when every storer refused
   *   (see `verdicts`); `no-nodes`; `aborted`; `stopped`.
   */
  set(key: string | Uint8Array, value: Uint8Array, options: SetOptions = {}): Promise<SetOutcome> {
    return this.run(async () => {
      const k = toKey(key);
      if (!(value instanceof Uint8Array)) throw new NamespaceError('value must be a Uint8Array', 'invalid-value');
      if (value.length > this.settings.maxValueBytes) throw new NamespaceError(`value of ${value.length} bytes exceeds maxValueBytes (${this.settings.maxValueBytes})`, 'too-large');
      for (const [name, v] of [['seq', options.seq], ['cas', options.cas]] as const) {
        if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new NamespaceError(`${name} must be a non-negative safe integer, got ${v}`, 'invalid-seq');
      }
      const ttlMs = this.checkTtl(options.ttlMs);
      const publicKey = this.context.key.publicKey.toBinary();
      const location = namespaceLocation(publicKey, k);
      const hex = toHex(location);
      let seq = options.seq;
      let nodes: readonly ClosestNode[] | undefined;
      if (seq === undefined) {
        const read = await this.records.read(location, { limit: 1, signal: options.signal });
        nodes = read.nodes.length > 0 ? read.nodes : undefined;
        seq = Math.max(read.records[0]?.record.seq ?? -1, this.lastSeq.get(hex) ?? -1) + 1;
      }
      const record = signNamespaceRecord(this.context.key, k, seq, value);
      const outcome = await this.publishOwn(record, { ttlMs, cas: options.cas, signal: options.signal, nodes, republish: 'keep-alive' }, `write of seq ${seq}`);
      this.lastSeq.set(hex, Math.max(seq, this.lastSeq.get(hex) ?? -1));
      return { ...outcome, seq };
    });
  }

  /**
   * Reads `key` in the namespace of `publicKey`: asks the k closest storers and returns the verified
   * value with the highest seq, or `undefined` when none holds one. Forged records are ignored.
   * @param options `local` reads only this node's own store (no network).
   * @throws {@link NamespaceError} `invalid-key`, `no-nodes`, `aborted`, `stopped`.
   */
  get(publicKey: PublicKey | Uint8Array, key: string | Uint8Array, options: { signal?: AbortSignal; local?: boolean } = {}): Promise<NamespaceValue | undefined> {
    return this.run(async () => {
      const binary = toPublicKey(publicKey);
      const read = await this.records.read(namespaceLocation(binary, toKey(key)), { limit: 1, signal: options.signal, local: options.local });
      const best = read.records[0];
      if (best === undefined) return undefined;
      return { value: best.record.value, seq: best.record.seq, publicKey: this.context.keys.get(binary)!, expiresAt: best.expiresAt };
    });
  }

  /**
   * Stores an already signed record (anyone's) on the k closest nodes. A building block for relaying and
   * tests. Never throws for a refusal: read the outcome's `verdicts`.
   * @throws {@link NamespaceError} `invalid-ttl`, `no-nodes`, `aborted`, `stopped`.
   */
  storeRecord(record: NamespaceRecord, options: { ttlMs?: number; cas?: number; signal?: AbortSignal } = {}): Promise<PublishOutcome> {
    return this.run(async () => {
      const ttlMs = this.checkTtl(options.ttlMs);
      const location = namespaceLocation(record.publicKey, record.key);
      return this.records.client.publish(location, [{ record, expiresAt: this.context.clock.now() + ttlMs }], { cas: options.cas, signal: options.signal });
    });
  }

  /** Where a record lives: `SHA-1(public key | key)`. */
  locationOf(r: { publicKey: Uint8Array; key: Uint8Array }): Uint8Array {
    return namespaceLocation(r.publicKey, r.key);
  }
}

/** A key as bytes: UTF-8 of a string, or the bytes given; at most 64 bytes. */
function toKey(key: string | Uint8Array): Uint8Array {
  const bytes = typeof key === 'string' ? utf8(key) : key;
  if (!(bytes instanceof Uint8Array)) throw new NamespaceError(`key must be a string or a Uint8Array, got ${typeof key}`, 'invalid-key');
  if (bytes.length > MAX_NAMESPACE_KEY_BYTES) throw new NamespaceError(`key of ${bytes.length} bytes exceeds ${MAX_NAMESPACE_KEY_BYTES} bytes`, 'invalid-key');
  return bytes;
}

/** A public key binary from a key or its binary. */
function toPublicKey(publicKey: PublicKey | Uint8Array): Uint8Array {
  if (publicKey instanceof PublicKey) return publicKey.toBinary();
  if (publicKey instanceof Uint8Array) {
    try {
      return PublicKey.fromBinary(publicKey).toBinary();
    } catch (error) {
      throw new NamespaceError('publicKey is not a valid public key binary', 'invalid-key', { cause: error });
    }
  }
  throw new NamespaceError('publicKey must be a PublicKey or its binary', 'invalid-key');
}

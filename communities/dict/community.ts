/**
 * DictCommunity: subkey dictionaries on the Kademlia DHT (hivemind's `store(key, subkey, value,
 * expiration_time)` and `get(key)`). Dictionary entries are a record type of the DHT's record engine:
 * storage, quotas, fan-out, paging, replication and persistence are the engine's; this file is the
 * dictionary's API.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { TOKENS, communityIdFromName, toHex, utf8 } from '../../framework/index.js';
import type { CommunityContext, PublicKey } from '../../framework/index.js';
import { DHTCommunity } from '../dht/index.js';
import type { PublishOutcome, RecordEngine, RecordVerdict } from '../dht/index.js';
import { RecordCommunity } from '../dht/records/record-community.js';
import { dhtKey, publisherMid } from '../dht/arguments.js';
import { DictError } from './errors.js';
import type { DictPage, DictGetOptions } from './page.js';
import { pageOf, parseCursor } from './page.js';
import type { DictEntryWireValue } from './policy.js';
import { DictMessages, dictPolicy } from './policy.js';
import type { DictRecord } from './record.js';
import { openDictRecord, sameDictRecord, signDictRecord, subkeyId } from './record.js';
import type { DictSettings, ResolvedDictSettings } from './settings.js';
import { MAX_GET_LIMIT, resolveDictSettings } from './settings.js';

/** The dictionary community's id: SHA-1 of `peerlay/dict/v1`. */
export const DICT_COMMUNITY_ID = communityIdFromName('peerlay/dict/v1');

/** Events of a {@link DictCommunity}. */
export interface DictEvents {
  /** This node, as a storer, accepted an entry under `key`. */
  'subkey:stored': [key: Uint8Array, verdict: RecordVerdict];
}

/** Options of {@link DictCommunity.set}. Give `ttlMs` or `expiresAt`, not both. */
export interface DictSetOptions {
  /** Lifetime from now, in ms. @default `defaultTtlMs` (1 h) */
  ttlMs?: number;
  /** Absolute expiration, ms since the epoch (hivemind's `expiration_time`); within `[now + minTtlMs, now + maxTtlMs]`. */
  expiresAt?: number;
  /** Write an open subkey (unsigned: anyone may replace it with a later expiration). @default false: owned by this node */
  open?: boolean;
  /** Cancels the write. */
  signal?: AbortSignal;
}

/** What {@link DictCommunity.set} achieved. */
export interface DictSetOutcome extends PublishOutcome {
  /** The expiration written, ms since the epoch. */
  readonly expiresAt: number;
  /** The subkey's owner (this node), or `undefined` for an open subkey. */
  readonly owner: PublicKey | undefined;
}

/**
 * Subkey dictionaries: writers add subkeys to the dictionary under a key instead of overwriting it; for one
 * subkey the later expiration wins. A subkey is owned (signed by its writer, who alone can replace it) or
 * open (anyone can, with a later expiration). Register it after {@link DHTCommunity}.
 *
 * @example
 * ```ts
 * host.register(DHTCommunity);
 * const dict = host.register(DictCommunity);
 * await host.start();
 * await dict.set('peers', 'alice', utf8('10.0.0.1:8090'), { ttlMs: 2 * 3_600_000 });
 * const { entries } = await dict.get('peers'); // [{ subkey, value, expiresAt, owner }]
 * ```
 */
@injectable()
export class DictCommunity extends RecordCommunity<DictRecord, DictEntryWireValue, DictEvents> {
  /** Settings with defaults applied. */
  declare readonly settings: ResolvedDictSettings;

  /** @param ctx the node's services. @param dht the node's DHT. @param settings see {@link DictSettings}. */
  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(DHTCommunity) dht: DHTCommunity,
    @inject(TOKENS.Settings) settings: DictSettings,
  ) {
    const s = resolveDictSettings(settings ?? {});
    super(ctx, DICT_COMMUNITY_ID, dht, s, {
      policy: dictPolicy(
        { maxSubkeyBytes: s.maxSubkeyBytes, maxValueBytes: s.maxValueBytes, maxEntriesPerKey: s.maxEntriesPerKey, maxOpenPerKey: s.maxOpenPerKey, maxPerGroupPerKey: s.maxPerGroupPerKey, maxOpenPerGroupPerKey: s.maxOpenPerGroupPerKey, maxTtlMs: s.maxTtlMs },
        ctx.keys,
      ),
      messages: DictMessages,
      onAccepted: (key, verdict) => this.emit('subkey:stored', key, verdict),
      error: DictError,
    });
  }

  /** The dictionary's record engine (its store of entries, counters, this node's own entries). */
  get entries(): RecordEngine<DictRecord, DictEntryWireValue> {
    return this.engine;
  }

  /**
   * Sets `subkey` of the dictionary under `key` to `value` until an absolute expiration, on the k nodes
   * closest to `hashKey(key)`; republished there until it expires (never beyond). Storers keep it only if
   * its expiration is later than the one they hold for the subkey (equal expirations: the lowest encoded
   * entry wins everywhere).
   * @returns the expiration and owner written, how many nodes hold it, and every storer's verdict.
   * @throws {@link DictError} `invalid-key` (key or subkey) / `invalid-value` / `too-large` / `invalid-ttl`
   *   before anything is sent; `stale` when every storer holds a later expiration for the subkey;
   *   `rejected` when every storer refused otherwise (see `verdicts`); `no-nodes`; `aborted`; `stopped`.
   */
  set(key: string | Uint8Array, subkey: string | Uint8Array, value: Uint8Array, options: DictSetOptions = {}): Promise<DictSetOutcome> {
    return this.run(async () => {
      const k = dhtKey(key, DictError);
      const sk = this.checkSubkey(subkey);
      const v = this.checkValue(value);
      const now = this.now();
      let expiresAt = this.expiration(options, now);
      const owner = options.open === true ? undefined : this.context.key.publicKey;
      let record = this.make({ key: k, subkey: sk, value: v, expiresAt }, owner !== undefined);
      if (options.expiresAt === undefined) {
        // Two writes in one ms would tie: step past our own last expiration rather than lose to the lowest bytes.
        const mine = this.engine.own.get(`${toHex(k)}/${toHex(subkeyId(sk, owner?.toBinary()))}`);
        if (mine !== undefined && mine.record.expiresAt === expiresAt && !sameDictRecord(mine.record, record)) {
          expiresAt++;
          record = this.make({ key: k, subkey: sk, value: v, expiresAt }, owner !== undefined);
        }
      }
      // Republished until its expiration, never renewed: the expiration is the writer's word.
      const outcome = await this.publishOwn(record, { ttlMs: expiresAt - now, republish: 'until-expiry', signal: options.signal }, 'write of the subkey');
      return { ...outcome, expiresAt, owner };
    });
  }

  /**
   * One page of the dictionary under `key`: every live subkey (with its value, expiration and owner) that
   * any storer reached holds, the latest expiration per subkey, each subkey once, in a stable order. Pass
   * the returned `cursor` to get the next page; every subkey is returned exactly once.
   * @throws {@link DictError} `invalid-limit`, `invalid-cursor`, `invalid-key`, `no-nodes`, `aborted`, `stopped`.
   */
  get(key: string | Uint8Array, options: DictGetOptions = {}): Promise<DictPage> {
    return this.run(async () => {
      const limit = options.limit ?? this.settings.defaultGetLimit;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_GET_LIMIT) {
        throw new DictError(`limit must be an integer in 1..${MAX_GET_LIMIT}, got ${limit}`, 'invalid-limit');
      }
      const cursor = parseCursor(options.cursor);
      const read = await this.engine.read(dhtKey(key, DictError), { limit, cursor, publisher: publisherMid(options.owner, DictError), signal: options.signal, local: options.local });
      if (read.asked > 0 && read.storers.length === 0 && read.records.length === 0) {
        options.signal?.throwIfAborted();
        throw new DictError('no storer answered the get; try again later', 'no-nodes');
      }
      return pageOf(read, limit, this.now(), this.context.keys);
    });
  }

  /**
   * Stores already made entries (anyone's; all under one key) on the k closest nodes, each until its own
   * expiration. A building block for relaying and tests. Never throws for a refusal: read the outcome's `verdicts`.
   * @throws {@link DictError} `no-nodes`, `aborted`, `stopped`.
   */
  storeRecords(records: readonly DictRecord[], options: { signal?: AbortSignal } = {}): Promise<PublishOutcome> {
    return this.run(async () => {
      const first = records[0];
      if (first === undefined) return { acks: 0, stored: 0, keptHere: false, verdicts: {}, refusals: {} };
      return this.engine.client.publish(first.key, records.map((record) => ({ record, expiresAt: record.expiresAt })), { signal: options.signal });
    });
  }

  private make(fields: Pick<DictRecord, 'key' | 'subkey' | 'value' | 'expiresAt'>, owned: boolean): DictRecord {
    return owned ? signDictRecord(this.context.key, fields) : openDictRecord(fields);
  }

  /** The absolute expiration `options` ask for. @throws {@link DictError} `invalid-ttl`. */
  private expiration(options: DictSetOptions, now: number): number {
    const { minTtlMs, maxTtlMs } = this.settings;
    if (options.expiresAt === undefined) return now + this.checkTtl(options.ttlMs);
    if (options.ttlMs !== undefined) throw new DictError('give ttlMs or expiresAt, not both', 'invalid-ttl');
    const at = options.expiresAt;
    if (!Number.isSafeInteger(at) || at - now < minTtlMs || at - now > maxTtlMs) {
      throw new DictError(`expiresAt must be an integer (ms since the epoch) in [now + ${minTtlMs}, now + ${maxTtlMs}] = [${now + minTtlMs}, ${now + maxTtlMs}], got ${at}`, 'invalid-ttl');
    }
    return at;
  }

  private checkSubkey(subkey: string | Uint8Array): Uint8Array {
    const bytes = typeof subkey === 'string' ? utf8(subkey) : subkey;
    if (!(bytes instanceof Uint8Array)) throw new DictError(`subkey must be a string or a Uint8Array, got ${typeof subkey}`, 'invalid-key');
    if (bytes.length === 0 || bytes.length > this.settings.maxSubkeyBytes) {
      throw new DictError(`subkey must be 1..${this.settings.maxSubkeyBytes} bytes (maxSubkeyBytes), got ${bytes.length}`, 'invalid-key');
    }
    return Uint8Array.from(bytes);
  }

  private checkValue(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new DictError('value must be a Uint8Array', 'invalid-value');
    if (value.length > this.settings.maxValueBytes) throw new DictError(`value of ${value.length} bytes exceeds maxValueBytes (${this.settings.maxValueBytes})`, 'too-large');
    return Uint8Array.from(value);
  }
}

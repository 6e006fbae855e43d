/**
 * NamespaceCommunity: values under a publisher's public key (qadom's `namespace`, done safely, BEP 44
 * style): signed, sequence-numbered, compare-and-swap, stored on the k nodes closest to
 * `SHA-1(public key | key)`. Built by composition on {@link DHTCommunity}.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { Community, PublicKey, TOKENS, addressKey, communityIdFromName, utf8 } from '../../framework/index.js';
import type { Address, CommunityContext, Incoming, MessageSpec } from '../../framework/index.js';
import { DHTCommunity, DHTError } from '../dht/index.js';
import type { FindReplyAnswer } from '../dht/index.js';
import { NamespaceClient } from './client.js';
import type { NamespaceValue, PutOptions, PutOutcome, SetOptions } from './client.js';
import { NamespaceError } from './errors.js';
import { onGet, onPut } from './handlers.js';
import { NamespaceMaintenance } from './maintenance.js';
import { NamespaceGetRequest, NamespaceGetResponse, NamespacePutRequest, NamespacePutResponse } from './messages.js';
import type { NamespaceVerdict } from './messages.js';
import type { NamespaceRecord } from './record.js';
import { MAX_NAMESPACE_KEY_BYTES, namespaceLocation } from './record.js';
import type { NamespaceSettings, ResolvedNamespaceSettings } from './settings.js';
import { resolveNamespaceSettings } from './settings.js';
import { NamespaceStatistics } from './statistics.js';
import { NamespaceStore } from './store.js';

/** The namespace community's id: SHA-1 of `peerlay/namespace/v1`. */
export const NAMESPACE_COMMUNITY_ID = communityIdFromName('peerlay/namespace/v1');

/** Events of a {@link NamespaceCommunity}. */
export interface NamespaceEvents {
  /** This node, as a storer, accepted a record at `location`. */
  'record:stored': [location: Uint8Array, verdict: NamespaceVerdict];
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
export class NamespaceCommunity extends Community<NamespaceEvents> {
  /** Settings with defaults applied. */
  readonly settings: ResolvedNamespaceSettings;
  /** Records this node stores for others. */
  readonly store: NamespaceStore;
  /** Counters for a status page. */
  readonly statistics = new NamespaceStatistics();
  private readonly client: NamespaceClient;
  private readonly maintenance: NamespaceMaintenance;

  /** @param ctx the node's services. @param dht the node's DHT. @param settings see {@link NamespaceSettings}. */
  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(DHTCommunity) readonly dht: DHTCommunity,
    @inject(TOKENS.Settings) settings: NamespaceSettings,
  ) {
    const resolved = resolveNamespaceSettings(settings ?? {});
    super(ctx, NAMESPACE_COMMUNITY_ID, resolved);
    this.settings = resolved;
    this.store = new NamespaceStore(resolved, ctx.keys);
    this.client = new NamespaceClient(this);
    this.maintenance = new NamespaceMaintenance(this, this.client);
    this.handle(NamespacePutRequest, (m) => onPut(this, m));
    this.handle(NamespaceGetRequest, (m) => onGet(this, m));
    for (const spec of [NamespacePutResponse, NamespaceGetResponse]) {
      this.handle(spec, (m: Incoming<{ id: bigint }>) => {
        this.requests.resolve(m.value.id, m, addressKey(m.from));
      });
    }
  }

  /**
   * Writes `value` under `key` in this node's namespace, signed with its key.
   * @returns the seq written, how many nodes hold it, and every storer's verdict.
   * @throws {@link NamespaceError} `too-large` / `invalid-key` / `invalid-seq` / `invalid-ttl` /
   *   `invalid-value` before anything is sent; `stale-seq` / `cas-mismatch` / `rejected` when every
   *   storer refused (see `verdicts`); `no-nodes`; `aborted`; `stopped`.
   */
  set(key: string | Uint8Array, value: Uint8Array, options: SetOptions = {}): Promise<PutOutcome> {
    return this.run(() => this.client.set(toKey(key), value, options));
  }

  /**
   * Reads `key` in the namespace of `publicKey`: asks the k closest storers and returns the verified
   * value with the highest seq, or `undefined` when none holds one. Forged records are ignored.
   * @throws {@link NamespaceError} `invalid-key`, `no-nodes`, `aborted`, `stopped`.
   */
  get(publicKey: PublicKey | Uint8Array, key: string | Uint8Array, options: { signal?: AbortSignal } = {}): Promise<NamespaceValue | undefined> {
    return this.run(() => this.client.get(toPublicKey(publicKey), toKey(key), options.signal));
  }

  /**
   * Stores an already signed record (anyone's) on the k closest nodes. A building block: relaying,
   * tests. Never throws for a refusal; read `verdicts`.
   * @throws {@link NamespaceError} `too-large`, `invalid-ttl`, `no-nodes`, `aborted`, `stopped`.
   */
  putRecord(record: NamespaceRecord, options: PutOptions = {}): Promise<PutOutcome> {
    return this.run(() => this.client.putRecord(record, options));
  }

  /**
   * The node's clock in whole ms. Times on the wire and in signatures are integers; a simulated clock can
   * stand between two ms.
   */
  now(): number {
    return Math.floor(this.context.clock.now());
  }

  /** Runs one upkeep round now (sweep, republish, replicate); it also runs every `maintenanceIntervalMs`. */
  maintain(): Promise<void> {
    return this.maintenance.tick();
  }

  /** Where a record lives: `SHA-1(public key | key)`. */
  locationOf(r: { publicKey: Uint8Array; key: Uint8Array }): Uint8Array {
    return namespaceLocation(r.publicKey, r.key);
  }

  /** The k nodes closest to `location` that answered, with their store tokens for us. */
  async closestNodes(location: Uint8Array, signal?: AbortSignal): Promise<FindReplyAnswer[]> {
    return this.dht.findClosestNodes(location, { signal });
  }

  /** Requests time out after the community's `requestTimeoutMs` setting. */
  protected override get requestTimeoutMs(): number {
    return this.settings.requestTimeoutMs;
  }

  /** @inheritDoc */
  protected override async onStart(): Promise<void> {
    this.maintenance.start();
  }

  /** @inheritDoc */
  protected override async onStop(): Promise<void> {
    this.maintenance.stop();
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    if (!this.isRunning) throw new NamespaceError('the namespace community is not running', 'stopped');
    try {
      return await op();
    } catch (error) {
      throw this.wrap(error);
    }
  }

  private wrap(error: unknown): Error {
    if (error instanceof NamespaceError) return error;
    if (error instanceof DHTError) {
      const reason = error.reason === 'aborted' || error.reason === 'stopped' ? error.reason : 'no-nodes';
      return new NamespaceError(error.message, reason, { cause: error });
    }
    if (error instanceof Error && error.name === 'AbortError') {
      return new NamespaceError(this.isRunning ? 'operation aborted' : 'the namespace community stopped', this.isRunning ? 'aborted' : 'stopped', { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
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

/**
 * ProvidersCommunity: provider records on the Kademlia DHT (libp2p's `Provide` / `FindProvidersAsync`,
 * BEP 5's announce_peer / get_peers). A node announces that it provides a key; anyone finds the providers:
 * mid, public key, address and expiry. The address is the IP each storer saw the announcement come from
 * with the port the provider named, never one it merely claims. Provider records are a record type of the
 * DHT's record engine (storage, quotas, paging, persistence); this file is the API.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { TOKENS, communityIdFromName, isValidPort, toHex } from '../../framework/index.js';
import type { CommunityContext } from '../../framework/index.js';
import { DHTCommunity } from '../dht/index.js';
import type { PublishOutcome, RecordEngine, RecordVerdict } from '../dht/index.js';
import { RecordCommunity } from '../dht/records/record-community.js';
import { dhtKey } from '../dht/arguments.js';
import { ProvidersError } from './errors.js';
import type { FindProvidersOptions, Provider, ProviderSearchParts, RecordBatch } from './find.js';
import { providerOf, providerRecords } from './find.js';
import type { ProviderWireValue } from './policy.js';
import { ProvidersMessages, providersPolicy } from './policy.js';
import type { ProviderRecord } from './record.js';
import { signProviderRecord } from './record.js';
import type { ProvidersSettings, ResolvedProvidersSettings } from './settings.js';
import { MAX_FIND_LIMIT, resolveProvidersSettings } from './settings.js';

/** The providers community's id: SHA-1 of `peerlay/providers/v1`. */
export const PROVIDERS_COMMUNITY_ID = communityIdFromName('peerlay/providers/v1');

/** Events of a {@link ProvidersCommunity}. */
export interface ProvidersEvents {
  /** This node, as a storer, accepted an announcement under `key`. */
  'provider:stored': [key: Uint8Array, verdict: RecordVerdict];
}

/** Options of {@link ProvidersCommunity.provide}. */
export interface ProvideOptions {
  /**
   * The port finders should use (the IP is always the one storers see); 0 means implied (BEP 5's
   * `implied_port`): the port the storers see the announcement come from, i.e. this node's UDP port as the
   * network sees it (behind a NAT, its mapping). @default 0 (implied)
   */
  port?: number;
  /** Lifetime of the announcement in ms; renewed before it ends while this node provides the key. @default `defaultTtlMs` (1 h) */
  ttlMs?: number;
  /** Cancels the announcement. */
  signal?: AbortSignal;
}

/** What {@link ProvidersCommunity.provide} achieved. */
export interface ProvideOutcome extends PublishOutcome {
  /** The 20-byte DHT key, in hex. */
  readonly key: string;
  /** The port announced (0: implied, the port the storers saw). */
  readonly port: number;
  /** When the announcement expires unless renewed (ms since the epoch). */
  readonly expiresAt: number;
}

/** A key this node provides. */
export interface Providing {
  /** The 20-byte DHT key, in hex. */
  readonly key: string;
  /** The port announced (0: implied). */
  readonly port: number;
  /** When the current announcement expires (it is renewed before). */
  readonly expiresAt: number;
}

/** Counters of a {@link ProvidersCommunity} beyond the engine's. */
export interface ProvidersCounters {
  /** Announcements this node refused as a storer because the provider itself did not send them. */
  notFromProvider: number;
}

/**
 * Provider records: announce that this node provides a key, find who provides one. Register it after
 * {@link DHTCommunity}.
 *
 * @example
 * ```ts
 * host.register(DHTCommunity);
 * const providers = host.register(ProvidersCommunity);
 * await host.start();
 * await providers.provide('my-file', { port: 4001 });
 * for (const p of await providers.findProviders('my-file')) console.log(p.mid, addressKey(p.address));
 * ```
 */
@injectable()
export class ProvidersCommunity extends RecordCommunity<ProviderRecord, ProviderWireValue, ProvidersEvents> {
  /** Settings with defaults applied. */
  declare readonly settings: ResolvedProvidersSettings;
  /** Counters beyond the engine's (its `statistics` count every verdict). */
  readonly counters: ProvidersCounters;
  private lastVersion = 0;

  /** @param ctx the node's services. @param dht the node's DHT. @param settings see {@link ProvidersSettings}. */
  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(DHTCommunity) private readonly dht: DHTCommunity,
    @inject(TOKENS.Settings) settings: ProvidersSettings,
  ) {
    const s = resolveProvidersSettings(settings ?? {});
    const counters: ProvidersCounters = { notFromProvider: 0 };
    super(ctx, PROVIDERS_COMMUNITY_ID, dht, s, {
      policy: providersPolicy({ maxProvidersPerKey: s.maxProvidersPerKey, maxPerGroupPerKey: s.maxPerGroupPerKey, maxTtlMs: s.maxTtlMs }, ctx.keys, () => counters.notFromProvider++),
      messages: ProvidersMessages,
      renew: (r, ttlMs) => this.sign(r.key, r.port, this.now() + ttlMs),
      onAccepted: (key, verdict) => this.emit('provider:stored', key, verdict),
      error: ProvidersError,
    });
    this.counters = counters;
  }

  /** The providers' record engine (the announcements this node holds as a storer, counters, its own). */
  get records(): RecordEngine<ProviderRecord, ProviderWireValue> {
    return this.engine;
  }

  /**
   * Announces that this node provides `key`: a signed announcement stored on the k nodes closest to
   * `hashKey(key)` (each records the IP it came from), re-announced to the current k closest every
   * `replicateIntervalMs` and renewed before it expires, until {@link ProvidersCommunity.stopProviding}.
   * Providing a key again replaces the announcement (a new version, e.g. with another port).
   * @returns how many nodes hold it, and every storer's verdict.
   * @throws {@link ProvidersError} `invalid-value` (port), `invalid-ttl`, `invalid-key` before anything is
   *   sent; `rejected` when every storer refused; `no-nodes`; `aborted`; `stopped`.
   */
  provide(key: string | Uint8Array, options: ProvideOptions = {}): Promise<ProvideOutcome> {
    return this.run(async () => {
      const k = dhtKey(key, ProvidersError);
      const port = options.port ?? 0;
      if (typeof port !== 'number' || !isValidPort(port)) throw new ProvidersError(`port must be an integer in 0..65535, got ${String(port)}`, 'invalid-value');
      const ttlMs = this.checkTtl(options.ttlMs);
      const record = this.sign(k, port, this.now() + ttlMs);
      const outcome = await this.publishOwn(record, { ttlMs, republish: 'keep-alive', signal: options.signal }, 'announcement');
      return { ...outcome, key: toHex(k), port, expiresAt: record.expiresAt };
    });
  }

  /**
   * Stops providing `key`: the announcement is no longer renewed nor re-announced, and disappears from
   * the storers when its signed expiry passes (provider records have no tombstone, as in libp2p and BEP 5).
   * @returns whether this node was providing `key`.
   * @throws {@link ProvidersError} `invalid-key`.
   */
  stopProviding(key: string | Uint8Array): boolean {
    const own = this.ownRecord(dhtKey(key, ProvidersError));
    if (own !== undefined) this.engine.forget(own);
    return own !== undefined;
  }

  /** The keys this node provides, with the port and expiry of each current announcement. */
  providing(): Providing[] {
    return [...this.engine.own.values()].map((o) => ({ key: toHex(o.record.key), port: o.record.port, expiresAt: o.record.expiresAt }));
  }

  /**
   * The providers of `key`, each once (its newest announcement among the storers that answered), in mid
   * order; the lookup ends as soon as `limit` distinct providers are known.
   * @throws {@link ProvidersError} `invalid-limit`, `invalid-key`, `unreachable` (nobody answered),
   *   `no-nodes`, `aborted`, `stopped`.
   */
  findProviders(key: string | Uint8Array, options: FindProvidersOptions = {}): Promise<Provider[]> {
    return this.run(async () => {
      const limit = this.checkLimit(options.limit);
      const all: Array<RecordBatch[number]> = [];
      await this.drain(dhtKey(key, ProvidersError), { ...options, limit }, (batch) => void all.push(...batch));
      const now = this.now();
      const merged = this.engine.client.merge(all);
      return merged.flatMap((r) => providerOf(r, this.context.keys, now) ?? []).slice(0, limit);
    });
  }

  /**
   * The providers of `key` as storers answer (libp2p's FindProvidersAsync): each provider once, the first
   * announcement of it that arrives; the lookup ends after `limit` providers, or when the loop breaks.
   * @throws {@link ProvidersError} as {@link ProvidersCommunity.findProviders}.
   */
  async *findProvidersAsync(key: string | Uint8Array, options: FindProvidersOptions = {}): AsyncGenerator<Provider, void> {
    const limit = await this.run(async () => this.checkLimit(options.limit));
    const location = await this.run(async () => dhtKey(key, ProvidersError));
    const seen = new Set<string>();
    const stream = this.stream(location, { ...options, limit });
    try {
      for (;;) {
        const next = await this.run(() => stream.next());
        if (next.done === true) return;
        for (const r of next.value) {
          const p = providerOf(r, this.context.keys, this.now());
          if (p === undefined || seen.has(p.mid)) continue;
          seen.add(p.mid);
          yield p;
          if (seen.size >= limit) return;
        }
      }
    } finally {
      await stream.return(undefined);
    }
  }

  /** This node's current announcement of `key`, if it provides it. */
  private ownRecord(key: Uint8Array): ProviderRecord | undefined {
    return this.engine.own.get(`${toHex(key)}/${this.context.key.publicKey.midHex}`)?.record;
  }

  /** Reads the whole stream into `onBatch`. @throws `unreachable` when a lookup ran and nobody answered. */
  private async drain(location: Uint8Array, options: FindProvidersOptions & { limit: number }, onBatch: (batch: RecordBatch) => void): Promise<void> {
    const stream = this.stream(location, options);
    let found = 0;
    for (;;) {
      const next = await stream.next();
      if (next.done === true) {
        const result = next.value;
        if (result !== undefined && found === 0 && result.closest.length === 0 && result.queried > 0) {
          options.signal?.throwIfAborted();
          throw new ProvidersError(`no node answered the lookup of ${toHex(location)}; try again later`, 'unreachable');
        }
        return;
      }
      found += next.value.length;
      onBatch(next.value);
    }
  }

  private stream(location: Uint8Array, options: FindProvidersOptions & { limit: number }): ReturnType<typeof providerRecords> {
    const client = this.engine.client;
    const parts: ProviderSearchParts = {
      query: (peer, target, signal) => client.query(peer, target, true, { signal }),
      morePages: (peer, target, first, limit, signal) => client.allPages(peer, target, first, limit, { signal }),
      local: (target) => this.engine.localRecords(target, undefined),
      network: this.dht.network,
      now: () => this.now(),
    };
    return providerRecords(parts, location, { limit: options.limit, local: options.local === true, signal: options.signal, onEvent: options.onEvent });
  }

  private checkLimit(limit: number | undefined): number {
    const n = limit ?? this.settings.defaultFindLimit;
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_FIND_LIMIT) throw new ProvidersError(`limit must be an integer in 1..${MAX_FIND_LIMIT}, got ${n}`, 'invalid-limit');
    return n;
  }

  /** Signs a fresh announcement, with a version above every one this node signed before. */
  private sign(key: Uint8Array, port: number, expiresAt: number): ProviderRecord {
    this.lastVersion = Math.max(this.now(), this.lastVersion + 1);
    return signProviderRecord(this.context.key, { key, port, version: this.lastVersion, expiresAt });
  }
}

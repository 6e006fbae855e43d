/**
 * Finding providers: a lookup toward the key whose every query is a find for records (as libp2p's
 * FindProvidersAsync and BitTorrent's get_peers), so the storers on the way answer with providers while
 * the lookup runs and it ends as soon as enough distinct providers arrived. Every record is checked by the
 * record client (signature, key, observed address) before it is seen here.
 * @module
 */
import type { Address, PublicKey, PublicKeyCache } from '../../framework/index.js';
import { equalBytes, toHex } from '../../framework/index.js';
import type { LookupListener, LookupPeer, LookupResult, RecordFindReply, RecordNetwork, StorerPage, TimedRecord } from '../dht/index.js';
import { ImpostorError } from '../dht/errors.js';
import type { ProviderRecord } from './record.js';
import { providerAddress } from './record.js';

/** A provider of a key, as a finder gets it. */
export interface Provider {
  /** The provider's mid, 40 hex digits. */
  readonly mid: string;
  /** The provider's public key (it signed the announcement). */
  readonly publicKey: PublicKey;
  /**
   * Where to reach it: the IP a storer saw its announcement come from, with the port it named, or the port
   * the storer saw when it named none (never an address it merely claimed).
   */
  readonly address: Address;
  /** When the announcement expires unless renewed (ms since the epoch, the provider's clock). */
  readonly expiresAt: number;
  /** The announcement's version (the provider's clock in ms when it signed it). */
  readonly version: number;
}

/** Options of `findProviders` and `findProvidersAsync`. */
export interface FindProvidersOptions {
  /** Most providers returned; the lookup ends once it has this many. @default the community's `defaultFindLimit` (20); at most 1,000 */
  limit?: number;
  /** Cancels the lookup. */
  signal?: AbortSignal;
  /** Only what this node holds itself (no network). @default false */
  local?: boolean;
  /** Receives the lookup's events (one `query` event per node asked). */
  onEvent?: LookupListener;
}

/** What a provider search works with: the type's client, this node's store, and the DHT's lookup. */
export interface ProviderSearchParts {
  /** Sends one find for records (with its token, or padded). */
  query(peer: LookupPeer, location: Uint8Array, signal: AbortSignal): Promise<RecordFindReply<ProviderRecord>>;
  /** Reads the pages of one storer that follow its first answer. */
  morePages(peer: LookupPeer, location: Uint8Array, first: RecordFindReply<ProviderRecord>, limit: number, signal: AbortSignal): Promise<StorerPage<ProviderRecord>>;
  /** This node's live records under `location`. */
  local(location: Uint8Array): Array<TimedRecord<ProviderRecord>>;
  /** The DHT's lookup with our own query, and whether there is anyone to ask. */
  readonly network: Pick<RecordNetwork, 'searchNodes' | 'isAlone'>;
  /** The clock, in ms. */
  now(): number;
}

/** One batch of checked records, as one storer (or this node) gave them. */
export type RecordBatch = ReadonlyArray<TimedRecord<ProviderRecord>>;

/**
 * Streams the provider records under `location`: this node's own first, then each storer's as it answers
 * the lookup; the lookup ends once `limit` distinct providers arrived, or converged on the k closest.
 * Breaking out of the loop ends the lookup.
 * @returns the lookup's result, when one ran (`undefined` for a local or lone read).
 * @throws the lookup's errors (`no-nodes`, `AbortError`).
 */
export async function* providerRecords(parts: ProviderSearchParts, location: Uint8Array, options: { limit: number; local: boolean; signal?: AbortSignal | undefined; onEvent?: LookupListener | undefined }): AsyncGenerator<RecordBatch, LookupResult<RecordFindReply<ProviderRecord>> | undefined> {
  const distinct = new Set<string>();
  const count = (batch: RecordBatch): RecordBatch => {
    for (const r of batch) distinct.add(toHex(r.record.publicKey));
    return batch;
  };
  const local = parts.local(location);
  if (local.length > 0) yield count(local);
  if (options.local || parts.network.isAlone || distinct.size >= options.limit) return undefined;
  const controller = new AbortController();
  const signal = options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]);
  const queue: RecordBatch[] = [];
  let wake: (() => void) | undefined;
  const push = (batch: RecordBatch): void => {
    if (batch.length === 0) return;
    queue.push(count(batch));
    wake?.();
  };
  // In an object: the lookup's callbacks set it, and the compiler must not narrow it away.
  const state: { settled?: { result?: LookupResult<RecordFindReply<ProviderRecord>>; error?: unknown } } = {};
  const lookup = parts.network.searchNodes<RecordFindReply<ProviderRecord>>(location, {
    signal,
    kind: 'find-values',
    onEvent: options.onEvent,
    isDone: () => distinct.size >= options.limit,
    query: async (peer) => {
      const reply = await parts.query(peer, location, signal);
      if (!equalBytes(reply.sender.mid, peer.id)) throw new ImpostorError(`node ${toHex(peer.id)} answered with the key of ${reply.sender.midHex}`);
      push(reply.found ?? []);
      if (reply.more && distinct.size < options.limit) {
        const rest = await parts.morePages(peer, location, { ...reply, found: undefined }, options.limit, signal).catch(() => undefined);
        push(rest?.records ?? []);
      }
      return reply;
    },
  });
  lookup.then(
    (result) => {
      state.settled = { result };
      wake?.();
    },
    (error: unknown) => {
      state.settled = { error };
      wake?.();
    },
  );
  try {
    for (;;) {
      const batch = queue.shift();
      if (batch !== undefined) {
        yield batch;
        continue;
      }
      if (state.settled !== undefined) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    if (state.settled === undefined) controller.abort(); // the caller stopped reading: end the lookup
  }
  const settled = state.settled;
  if (settled?.error !== undefined) throw settled.error;
  return settled?.result;
}

/** @returns the provider a checked record names, or `undefined` when it expired. */
export function providerOf(r: TimedRecord<ProviderRecord>, keys: PublicKeyCache, now: number): Provider | undefined {
  const publicKey = keys.get(r.record.publicKey);
  const address = providerAddress(r.record);
  if (publicKey === undefined || address === undefined || !(r.expiresAt > now)) return undefined;
  return { mid: publicKey.midHex, publicKey, address, expiresAt: r.record.expiresAt, version: r.record.version };
}

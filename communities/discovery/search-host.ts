/**
 * What one `connectPeer` search ({@link PeerSearch}) needs of its community, and what it reports back.
 * @module
 */
import type { Address, Incoming, PublicKey, PublicKeyCache, RequestBody, RequestOptions, RequestType, TimerHandle, MessageSpec } from '../../framework/index.js';
import type { DHTError, FindReply, LookupListener, LookupPeer, RecordNetwork } from '../dht/index.js';
import type { ConnectPath } from './candidates.js';
import type { PeerSearch } from './peer-search.js'; // for {@link} in TSDoc

/** What a search needs of its community: the DHT's public door, its timers, requests and known peers. */
export interface SearchHost {
  /** The DHT. */
  readonly network: RecordNetwork;
  /** One find for nodes (the DHT's, checked). */
  queryFind(peer: LookupPeer, target: Uint8Array, values: false): Promise<FindReply>;
  /** Parsed public keys, and our bound local address (sent as our LAN candidate). */
  readonly context: { readonly keys: PublicKeyCache; readonly transport: { readonly localAddress: Address } };
  /** Peers this node verified, by mid. */
  readonly peers: { getByMid(midHex: string): { readonly address: Address; readonly addressKey: string } | undefined };
  /** Sends a typed request. */
  sendRequest<Req extends RequestBody, Res extends RequestBody>(to: Address, type: RequestType<Req, Res>, body: Omit<Req, 'id'>, options?: RequestOptions): Promise<Incoming<Res>>;
  /** Sends one message (a copy of a request). */
  send<T>(to: Address, spec: MessageSpec<T>, value: T, recipient?: PublicKey): number;
  /** Our NAT as the DHT judges it now (a `NAT_CODES` value), sent with find-peer requests. */
  natCode(): number;
  /** Birthday probing toward a peer through a symmetric NAT on one side (see `birthday.ts`). */
  readonly birthday: {
    attempt(other: Address, otherNat: number, peerMidHex: string, voucher: Address, onHit: (address: Address) => void): 'sockets' | 'spray' | undefined;
    opened(address: Address): boolean;
    sprayedHost(address: Address): boolean;
  };
  /** Timers. */
  after(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
}

/** A find reply as a search keeps it: the nodes listed and the store token the node issued us. */
export interface NodeReply {
  readonly nodes: readonly LookupPeer[];
  readonly token: Uint8Array;
}

/** What a {@link PeerSearch} reports to its owner. */
export interface PeerSearchHooks {
  /**
   * A hello was answered: check and accept the signed packet (the owner cancels the search if it was
   * the peer); `path` is the path it proves.
   */
  answered(m: Incoming<unknown>, path: ConnectPath): void;
  /** The search cannot run (`no-nodes`: nobody to ask). */
  failed(error: DHTError): void;
  /**
   * Every path is tried and none answered: the storers were asked (and each introduction's puncture
   * waited out), no lookup runs and no hello is pending. Called at most once.
   */
  exhausted(): void;
  /** Receives the events of the search's lookups. */
  readonly onEvent?: LookupListener | undefined;
  /** Told of each step of the search (the owner logs them at debug level with the time). */
  readonly trace?: ((step: string, fields?: Record<string, unknown>) => void) | undefined;
}

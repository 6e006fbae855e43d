/**
 * One `connectPeer` search, cheapest path first. A node's DHT id is its mid, so the peer is the node
 * closest to the target and the nodes near it list it in their find replies:
 *
 * 1. **direct**: when our own routing table (or peer store) holds the mid, hello that address (one
 *    request/response) and wait a soft timeout before searching;
 * 2. **locate**: an iterative lookup toward the mid that hellos the peer at every new address a reply
 *    lists for it, and ends as soon as it found one;
 * 3. **fallback**: when no hello answered within a soft timeout (a NAT that drops unsolicited packets, a
 *    stale address), the lookup continues to the k nodes closest to the mid (answers already received are
 *    reused, not asked again) and asks them, `alpha` at a time, for the peer's record: each storer returns
 *    the addresses it holds (hello'd if new) and introduces us to the peer, which punctures toward us.
 *
 * Every distinct address is hello'd once. The search ends (cancelling its requests, lookups and timers)
 * when the owner calls {@link PeerSearch.cancel}, which it does once a signed packet of the peer arrived.
 * When the fallback has asked every storer, no lookup runs and no hello is pending, nothing more can
 * arrive: the search reports `exhausted` to its owner, which then gives up at once instead of waiting
 * out its timeout.
 * @module
 */
import type { Address, Incoming, PublicKey, PublicKeyCache, RequestBody, RequestOptions, RequestType, TimerHandle } from '../../framework/index.js';
import { addressKey, computeMid, equalBytes, toHex } from '../../framework/index.js';
import type { DHTError, FindReply, LookupListener, LookupPeer, LookupResult, RecordNetwork } from '../dht/index.js';
import { ImpostorError } from '../dht/errors.js';
import type { Answered } from '../dht/lookup.js';
import { FindPeer, Hello } from './messages.js';

/** What a search needs of its community: the DHT's public door, its timers, requests and known peers. */
export interface SearchHost {
  /** The DHT. */
  readonly network: RecordNetwork;
  /** One find for nodes (the DHT's, checked). */
  queryFind(peer: LookupPeer, target: Uint8Array, values: false): Promise<FindReply>;
  /** Parsed public keys. */
  readonly context: { readonly keys: PublicKeyCache };
  /** Peers this node verified, by mid. */
  readonly peers: { getByMid(midHex: string): { readonly address: Address; readonly addressKey: string } | undefined };
  /** Sends a typed request. */
  sendRequest<Req extends RequestBody, Res extends RequestBody>(to: Address, type: RequestType<Req, Res>, body: Omit<Req, 'id'>, options?: RequestOptions): Promise<Incoming<Res>>;
  /** Timers. */
  after(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
}

/** A find reply as a search keeps it: the nodes listed and the store token the node issued us. */
interface NodeReply {
  readonly nodes: readonly LookupPeer[];
  readonly token: Uint8Array;
}

/** Where a search stands. */
type Stage = 'direct' | 'locating' | 'located' | 'fallback';

/** What a {@link PeerSearch} reports to its owner. */
export interface PeerSearchHooks {
  /** A hello was answered: check and accept the signed packet (the owner cancels the search if it was the peer). */
  answered(m: Incoming<unknown>): void;
  /** The search cannot run (`no-nodes`: nobody to ask). */
  failed(error: DHTError): void;
  /**
   * Every path is tried and none answered: the fallback asked every storer (and waited out each
   * introduction's puncture), no lookup runs and no hello is pending. Called at most once.
   */
  exhausted(): void;
  /** Receives the events of the search's lookups. */
  readonly onEvent?: LookupListener | undefined;
}

/** The lookup's query for the target itself: never sent as a find (the peer gets a hello instead). */
class TargetReached extends Error {}

/** One search for the peer with a given mid; see the module comment. */
export class PeerSearch {
  /** Hellos sent (distinct addresses). */
  hellos = 0;
  /** Find-peer requests sent. */
  findPeers = 0;
  private readonly midHex: string;
  private readonly controller = new AbortController();
  private readonly helloed = new Set<string>();
  private readonly queries = new Map<string, Promise<NodeReply>>();
  /** Ids of this search's find-peer requests: a puncture must echo one of them. */
  private readonly nonces = new Set<bigint>();
  private readonly timers = new Set<TimerHandle>();
  private grace: TimerHandle | undefined;
  private stage: Stage = 'direct';
  private pendingHellos = 0;
  private foundAddress = false;
  /** The fallback asked every storer it will ask. */
  private storersAsked = false;
  private reportedExhausted = false;

  /** @param d the discovery community, through what a search needs. @param mid the peer's mid. @param hooks see {@link PeerSearchHooks}. */
  constructor(
    private readonly d: SearchHost,
    private readonly mid: Uint8Array,
    private readonly hooks: PeerSearchHooks,
  ) {
    this.midHex = toHex(mid);
  }

  /** True once cancelled. */
  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }

  /** Starts the search: a direct hello to every address we already hold for the mid, else the lookup. */
  start(): void {
    const direct = new Map<string, Address>();
    const contact = this.d.network.contactAddress(this.mid);
    if (contact !== undefined) direct.set(addressKey(contact), contact);
    const peer = this.d.peers.getByMid(this.midHex);
    if (peer !== undefined) direct.set(peer.addressKey, peer.address);
    if (direct.size === 0) return this.locate();
    for (const address of direct.values()) this.hello(address);
    if (!this.cancelled) this.armGrace(() => this.locate());
  }

  /** Ends the search: aborts its requests and lookups, clears its timers. Idempotent. */
  cancel(): void {
    if (this.cancelled) return;
    this.controller.abort();
    for (const t of this.timers) this.d.cancel(t);
    this.timers.clear();
    this.grace = undefined;
  }

  /** Stage 2: look up the mid until a reply lists the peer at an address not hello'd yet. */
  private locate(): void {
    if (this.cancelled || this.stage !== 'direct') return;
    this.stage = 'locating';
    this.foundAddress = false; // the direct hellos' addresses are not news
    this.disarmGrace();
    this.run(() => this.foundAddress, () => {
      this.stage = 'located';
      if (this.pendingHellos === 0) this.fallback();
      else this.armGrace(() => this.fallback());
    });
  }

  /** Stage 3: converge on the k closest nodes and ask them for the peer's record, `alpha` at a time. */
  private fallback(): void {
    if (this.cancelled || this.stage === 'fallback') return;
    this.stage = 'fallback';
    this.disarmGrace();
    this.run(undefined, (result) => {
      void this.askStorers(result.closest).then(() => {
        this.storersAsked = true;
        this.checkExhausted();
      });
    });
  }

  private run(isDone: (() => boolean) | undefined, then: (result: LookupResult<NodeReply>) => void): void {
    this.d.network
      .searchNodes<NodeReply>(this.mid, {
        signal: this.controller.signal,
        isDone,
        query: (peer) => this.query(peer),
        schedule: (ms, fn) => this.schedule(ms, fn),
        cancel: (h) => this.unschedule(h),
        kind: 'connect',
        onEvent: this.hooks.onEvent,
      })
      .then(
        (result) => {
          if (!this.cancelled) then(result);
        },
        (error: unknown) => {
          // No node to ask is the owner's to report; an abort means the search ended.
          if (!this.cancelled && (error as DHTError).reason === 'no-nodes') this.hooks.failed(error as DHTError);
        },
      );
  }

  /**
   * One lookup query. The peer itself is hello'd, not asked; every other node gets one find for the
   * whole search (the fallback's lookup reuses the locate lookup's queries), and each address a reply
   * lists for the mid is hello'd.
   */
  private query(peer: LookupPeer): Promise<NodeReply> {
    const hex = toHex(peer.id);
    if (hex === this.midHex) {
      this.hello(peer.address);
      return Promise.reject(new TargetReached('the peer is hello\'d, not asked'));
    }
    let pending = this.queries.get(hex);
    if (pending === undefined) {
      pending = this.find(peer);
      pending.catch(() => undefined); // a query a finished lookup no longer awaits
      this.queries.set(hex, pending);
    }
    return pending;
  }

  private async find(peer: LookupPeer): Promise<NodeReply> {
    const reply = await this.d.queryFind(peer, this.mid, false);
    if (!equalBytes(reply.sender.mid, peer.id)) {
      throw new ImpostorError(`node ${toHex(peer.id)} answered with the key of ${reply.sender.midHex}`);
    }
    for (const n of reply.nodes) if (!this.cancelled && equalBytes(n.id, this.mid)) this.hello(n.address);
    return { nodes: reply.nodes, token: reply.token };
  }

  /**
   * Asks the closest nodes for the peer's record, `alpha` at a time. A storer that returned a record
   * also introduced us, so the next one is asked only a soft timeout later (the puncture needs one more
   * hop); one that had nothing, or failed, is replaced at once.
   */
  private async askStorers(closest: ReadonlyArray<Answered<NodeReply>>): Promise<void> {
    const queue = closest.filter((a) => !equalBytes(a.peer.id, this.mid));
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined && !this.cancelled; next = queue.shift()) {
        const led = await this.findPeer(next).catch(() => false);
        if (led) await this.wait(this.graceMs());
      }
    };
    await Promise.all(Array.from({ length: this.d.network.alpha }, worker));
  }

  /** One find-peer request; hellos each new address of the mid it returns. @returns true if it held a record. */
  private async findPeer(node: Answered<NodeReply>): Promise<boolean> {
    this.findPeers++;
    // The DHT token this node issued us proves our address, so it may answer with every address it holds.
    const recipient = this.d.network.recipientKey(node.peer.id);
    const onId = (id: bigint): void => void this.nonces.add(id);
    const m = await this.d.sendRequest(node.peer.address, FindPeer, { mid: this.mid, token: node.reply.token }, { signal: this.controller.signal, recipient, onId });
    let held = false;
    for (const p of m.value.peers) {
      if (this.cancelled || !equalBytes(computeMid(p.publicKey), this.mid)) continue; // a record for another mid is ignored
      held = true;
      this.hello(p.address, this.d.context.keys.get(p.publicKey));
    }
    return held;
  }

  /**
   * True when `nonce` is the id of a find-peer request of this search: a puncture carrying it was caused by
   * our request (the storer forwarded the id to the peer), not replayed from an earlier one.
   */
  asked(nonce: bigint): boolean {
    return this.nonces.has(nonce);
  }

  /**
   * Hellos `address` unless it was already; a new address ends the locate stage. The hello is tagged for
   * the peer's key when known (`peerKey`, or the routing table's), so only the peer itself can answer it.
   */
  private hello(address: Address, peerKey?: PublicKey): void {
    const key = addressKey(address);
    if (this.cancelled || this.helloed.has(key)) return;
    this.helloed.add(key);
    this.foundAddress = true;
    this.hellos++;
    this.pendingHellos++;
    this.d
      .sendRequest(address, Hello, {}, { signal: this.controller.signal, recipient: peerKey ?? this.d.network.recipientKey(this.mid) })
      .then((m) => this.hooks.answered(m))
      .catch(() => undefined)
      .finally(() => {
        this.pendingHellos--;
        if (this.cancelled || this.pendingHellos > 0) return;
        // Every hello failed or came from another key: move on without waiting out the grace period.
        if (this.stage === 'direct') this.locate();
        else if (this.stage === 'located') this.fallback();
        else if (this.stage === 'fallback') this.checkExhausted();
      });
  }

  /** Reports `exhausted` once the storers were all asked and no hello is pending (see the module comment). */
  private checkExhausted(): void {
    if (this.cancelled || this.reportedExhausted || !this.storersAsked || this.pendingHellos > 0) return;
    this.reportedExhausted = true;
    this.hooks.exhausted();
  }

  /** How long a hello gets before the next stage starts: the DHT's soft timeout for the peer. */
  private graceMs(): number {
    return this.d.network.softTimeoutMs(this.mid);
  }

  private armGrace(fn: () => void): void {
    this.disarmGrace();
    this.grace = this.schedule(this.graceMs(), () => {
      this.grace = undefined;
      fn();
    });
  }

  private disarmGrace(): void {
    this.unschedule(this.grace);
    this.grace = undefined;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.cancelled) return resolve();
      const signal = this.controller.signal;
      const onAbort = (): void => resolve();
      this.schedule(ms, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private schedule(ms: number, fn: () => void): TimerHandle {
    const handle = this.d.after(ms, () => {
      this.timers.delete(handle);
      fn();
    });
    this.timers.add(handle);
    return handle;
  }

  private unschedule(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.d.cancel(handle);
    this.timers.delete(handle);
  }
}

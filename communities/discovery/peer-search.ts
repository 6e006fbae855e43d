/**
 * One `connectPeer` search, cheapest path first. A node's DHT id is its mid, so the peer is the node
 * closest to the target and the nodes near it list it in their find replies:
 *
 * 1. **direct**: when our own routing table (or peer store) holds the mid, hello that address and wait
 *    the DHT's soft timeout for the peer, at most {@link DIRECT_GRACE_MAX_MS}, before searching;
 * 2. **locate**: an iterative lookup toward the mid that hellos the peer at every new address a reply
 *    lists for it, and ends as soon as it found one;
 * 3. **storers**, after the soft timeout of the node that listed the peer (a public peer has answered its
 *    hello by then), at once when none did: a lookup converging on the k nodes closest to the mid (answers
 *    already received are reused), and, while it runs, the nodes that answered it asked for the peer's
 *    record, `alpha` at a time, closest first ({@link StorerPool}): a node that never answers (one that
 *    left) costs the lookup its hard timeout, not the storers. Each storer returns the peer's candidates
 *    (the address it saw, the LAN and relay addresses the peer announced), all hello'd, and introduces us
 *    to the peer, which punctures toward us. At most {@link MAX_INTRODUCTIONS} storers that held a record
 *    are asked. A round that made no introduction and lost something (no storer answered, or one answered
 *    no copy) is followed by another, up to {@link MAX_STORER_ROUNDS}, seeded with every node met.
 *
 * Every step is retried: a find not answered within the node's soft timeout is asked once more
 * ({@link hedged}), hellos and find-peer requests are resent with the same id at growing intervals
 * (`HELLO_RESEND_AT_MS`, `FIND_PEER_RESEND_AT_MS`); the peer repeats its puncture. Everything is
 * bounded per search: at most `MAX_HELLO_ADDRESSES` addresses, 5 copies of each hello, 3 of each
 * find-peer, one find-peer per storer and round. The search ends (cancelling its requests, lookups and
 * timers) when the owner calls {@link PeerSearch.cancel}, once a signed packet of the peer arrived. When
 * the last round asked every storer it will, no lookup runs and no hello is pending, nothing more can
 * arrive: the search reports `exhausted`, with {@link PeerSearch.tried} saying what was tried.
 * @module
 */
import { setMaxListeners } from 'node:events';
import type { Address, TimerHandle } from '../../framework/index.js';
import { TimerSet, addressKey, equalBytes, toHex } from '../../framework/index.js';
import type { DHTError, LookupPeer, LookupResult } from '../dht/index.js';
import type { NodeReply, PeerSearchHooks, SearchHost } from './search-host.js';
import { ImpostorError } from '../dht/errors.js';
import type { ConnectPath } from './candidates.js';
import { Hellos } from './hellos.js';
import type { SearchTried } from './connect-result.js';
import { hedged } from './hedged.js';
import { StorerPool } from './storer-pool.js';
import { RecordRequests } from './record-requests.js';
import { SearchBirthday } from './search-birthday.js';

/**
 * Longest wait for a direct hello (to an address our routing table or peer store holds) before the
 * lookup starts, in ms: the DHT's soft timeout for the peer is 500 ms when it never answered us (a peer
 * behind a NAT that reached us first), and waiting that long was most of a connect through a NAT.
 */
export const DIRECT_GRACE_MAX_MS = 150;
/** Most storers holding a record (each introduced us) asked by one search. */
export const MAX_INTRODUCTIONS = 6;
/**
 * Most rounds of stage 3 (a lookup and the storers it finds) in one search: a round that made no
 * introduction and lost something (no storer answered, or one answered no copy) is followed by another.
 */
export const MAX_STORER_ROUNDS = 3;

/** Where a search stands. */
type Stage = 'direct' | 'locating' | 'located' | 'storers';

/** The lookup's query for the target itself: never sent as a find (the peer gets a hello instead). */
class TargetReached extends Error {}

/** Most requests of one search pending at once (a bound on its signal's listeners, with room to spare). */
const SEARCH_SIGNAL_LISTENERS = 128;

/** One search for the peer with a given mid; see the module comment. */
export class PeerSearch {
  /** Find-peer requests waiting for an answer. */
  private findPeersOut = 0;
  private readonly midHex: string;
  private readonly controller = new AbortController();
  private readonly hellos: Hellos;
  private readonly queries = new Map<string, Promise<NodeReply>>();
  private readonly timers: TimerSet;
  private grace: TimerHandle | undefined;
  private stage: Stage = 'direct';
  private foundAddress = false;
  /** The node whose reply listed the peer first (its round trip estimates the peer's). */
  private listedBy: Uint8Array | undefined;
  /** The storers were all asked that will be. */
  private storersAsked = false;
  /** The nodes that answered a find of this search: the storers to ask. */
  private readonly storers: StorerPool<NodeReply>;
  /** Every node a lookup of this search queried, by hex id: seeds of its later lookups. */
  private readonly met = new Map<string, LookupPeer>();
  private reportedExhausted = false;
  /** Birthday probing toward the peer, when our NATs call for it. */
  private readonly birthday: SearchBirthday;
  /** The find-peer requests to storers. */
  private readonly records: RecordRequests;

  /** @param d the discovery community, through what a search needs. @param mid the peer's mid. @param hooks see {@link PeerSearchHooks}. */
  constructor(
    private readonly d: SearchHost,
    private readonly mid: Uint8Array,
    private readonly hooks: PeerSearchHooks,
  ) {
    // Every request of the search listens on this one signal while it is pending: up to 16 hellos, the
    // find-peer requests and the lookups' finds (each maybe asked twice), so more than Node's default of 10
    // is normal here, and bounded.
    setMaxListeners(SEARCH_SIGNAL_LISTENERS, this.controller.signal);
    this.midHex = toHex(mid);
    this.timers = new TimerSet(d);
    this.storers = new StorerPool<NodeReply>(mid, d.network.bucketSize);
    this.hellos = new Hellos(
      d,
      this.controller.signal,
      this.timers,
      () => this.d.network.recipientKey(this.mid),
      {
        answered: (m) => {
          this.trace('hello-answered', { from: addressKey(m.from), punctured: m.value.punctured });
          this.hooks.answered(m, this.pathFor(m.from, m.value.punctured));
        },
        settled: () => this.helloSettled(),
      },
    );
    this.birthday = new SearchBirthday(d.birthday, this.midHex, this.hellos, () => this.cancelled, (step, fields) => this.trace(step, fields));
    this.records = new RecordRequests(d, mid, this.controller.signal, this.timers, this.hellos, this.birthday, (step, fields) => this.trace(step, fields));
  }

  /** True once cancelled. */
  get cancelled(): boolean {
    return this.controller.signal.aborted;
  }

  /** Hello packets sent so far, copies included. */
  get helloPackets(): number {
    return this.hellos.packets;
  }

  /** What the search tried so far. */
  get tried(): SearchTried {
    return {
      addresses: { ...this.hellos.counts },
      hellos: this.hellos.packets,
      storersAsked: this.records.asked,
      introductions: this.records.introductions,
      findPeers: this.records.packets,
      probing: this.birthday.role,
    };
  }

  /**
   * The path a puncture of the peer from `from` proves: `lan` when it came from the peer's LAN candidate,
   * `birthday` when birthday probing opened it (see {@link PeerSearch.pathFor}).
   */
  puncturePath(from: Address): ConnectPath {
    return this.pathFor(from, true);
  }

  /**
   * The path a signed packet of the peer from `from` proves: `birthday` when birthday probing opened the
   * path (a hit there, a probe socket of ours pinned to it, or its spray reached our main socket from
   * there), or it
   * came from a port of the host we sprayed that no storer or lookup listed; else
   * the kind of the candidate it came from (see `Hellos.pathFor`).
   */
  private pathFor(from: Address, punctured: boolean): ConnectPath {
    if (this.birthday.opened(from, this.hellos.kindOf(from) !== undefined)) return 'birthday';
    return this.hellos.pathFor(from, punctured);
  }

  /** Starts the search: a direct hello to every address we already hold for the mid, else the lookup. */
  start(): void {
    const direct = new Map<string, Address>();
    const contact = this.d.network.contactAddress(this.mid);
    if (contact !== undefined) direct.set(addressKey(contact), contact);
    const peer = this.d.peers.getByMid(this.midHex);
    if (peer !== undefined) direct.set(peer.addressKey, peer.address);
    this.trace('start', { direct: [...direct.keys()] });
    if (direct.size === 0) return this.locate();
    for (const address of direct.values()) this.hellos.add(address, 'direct');
    if (!this.cancelled) this.armGrace(() => this.locate(), Math.min(this.graceMs(), DIRECT_GRACE_MAX_MS));
  }

  /** Ends the search: aborts its requests and lookups, clears its timers. Idempotent. */
  cancel(): void {
    if (this.cancelled) return;
    this.controller.abort();
    this.storers.wake();
    this.timers.clear();
    this.grace = undefined;
  }

  /**
   * Stage 2: look up the mid until a reply lists the peer at an address not hello'd yet. Then stage 3
   * after the soft timeout of the node that listed it (about two of its round trips: a public peer has
   * answered the hello by then, one behind a NAT never will), or at once when no reply listed the peer.
   */
  private locate(): void {
    if (this.cancelled || this.stage !== 'direct') return;
    this.stage = 'locating';
    this.foundAddress = false; // the direct hellos' addresses are not news
    this.disarmGrace();
    this.run(() => this.foundAddress, (result) => {
      this.stage = 'located';
      this.trace('located', { found: this.foundAddress, queried: result.queried, failed: result.failed, pendingHellos: this.hellos.pending });
      // Only a new address is worth the wait: one we hello'd directly already had its chance.
      if (!this.foundAddress || this.listedBy === undefined || this.hellos.pending === 0) return this.askForRecord();
      this.armGrace(() => this.askForRecord(), this.d.network.softTimeoutMs(this.listedBy));
    });
  }

  /** Stage 3: converge on the k closest nodes and ask them for the peer's record, `alpha` at a time. */
  private askForRecord(): void {
    if (this.cancelled || this.stage === 'storers') return;
    this.stage = 'storers';
    this.disarmGrace();
    this.storerRound();
  }

  /**
   * One round of stage 3: a lookup converging on the k closest nodes, and the storers asked while it
   * runs (nodes that answered it, closest first: a node that never answers, e.g. one that left, costs the
   * lookup its hard timeout but delays no find-peer request). When a round ends without an introduction
   * and something of it was lost (no storer answered, or one answered no copy of its find-peer), another
   * round runs, up to {@link MAX_STORER_ROUNDS}: under loss the search keeps trying while it has bounds
   * left, and a peer with no record anywhere (every storer answered without one) still ends early.
   */
  private storerRound(): void {
    const pool = this.storers;
    pool.startRound();
    this.trace('record-lookup', { round: pool.round });
    const workers = Promise.all(Array.from({ length: this.d.network.alpha }, () => this.storerWorker()));
    this.run(undefined, (result) => {
      this.trace('record-lookup-done', { closest: result.closest.length, queried: result.queried, failed: result.failed });
      for (const a of result.closest) if (!this.cancelled && !equalBytes(a.peer.id, this.mid)) pool.offer(a.peer, a.reply);
      pool.lookupEnded();
    }, () => pool.lookupEnded());
    void workers.then(() => {
      if (this.cancelled) return;
      this.trace('storers-asked', { round: pool.round, asked: this.records.asked, introductions: this.records.introductions, answered: pool.answered, unanswered: pool.unanswered });
      const lost = pool.answered === 0 || pool.unanswered > 0;
      if (this.records.introductions === 0 && lost && pool.round < MAX_STORER_ROUNDS) return this.storerRound();
      this.storersAsked = true;
      this.checkExhausted();
    });
  }

  /** Runs a lookup of the search; `then` gets its result, `ended` is called when it failed (not when cancelled). */
  private run(isDone: (() => boolean) | undefined, then: (result: LookupResult<NodeReply>) => void, ended?: () => void): void {
    this.d.network
      .searchNodes<NodeReply>(this.mid, {
        // Every node an earlier lookup of this search met: under loss the routing table may have dropped them.
        seeds: [...this.met.values()],
        signal: this.controller.signal,
        isDone,
        query: (peer) => this.query(peer),
        schedule: (ms, fn) => this.timers.schedule(ms, fn),
        cancel: (h) => this.timers.unschedule(h),
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
          if (!this.cancelled) ended?.();
        },
      );
  }

  /**
   * One lookup query. The peer itself is hello'd, not asked; every other node gets one find for the
   * whole search (the storers' lookup reuses the locate lookup's queries), and each address a reply
   * lists for the mid is hello'd.
   */
  private query(peer: LookupPeer): Promise<NodeReply> {
    const hex = toHex(peer.id);
    if (hex === this.midHex) {
      this.hello(peer.address);
      return Promise.reject(new TargetReached('the peer is hello\'d, not asked'));
    }
    this.met.set(hex, { id: peer.id, address: peer.address });
    let pending = this.queries.get(hex);
    if (pending === undefined) {
      const query = this.find(peer);
      pending = query;
      this.queries.set(hex, query);
      query.then(
        (reply) => {
          if (!this.cancelled) this.storers.offer(peer, reply);
        },
        () => {
          // A failed query is asked again by a later lookup of this search (a lost packet, not a verdict).
          if (this.queries.get(hex) === query) this.queries.delete(hex);
        },
      );
    }
    return pending;
  }

  private async find(peer: LookupPeer): Promise<NodeReply> {
    // Asked again after the node's soft timeout: a lost find must not hold the lookup for its hard timeout.
    const reply = await hedged(() => this.d.queryFind(peer, this.mid, false), this.d.network.softTimeoutMs(peer.id), this.timers);
    if (!equalBytes(reply.sender.mid, peer.id)) {
      throw new ImpostorError(`node ${toHex(peer.id)} answered with the key of ${reply.sender.midHex}`);
    }
    for (const n of reply.nodes) {
      if (this.cancelled || !equalBytes(n.id, this.mid)) continue;
      if (this.hello(n.address)) {
        this.listedBy ??= peer.id;
        this.trace('listed', { address: addressKey(n.address), by: addressKey(peer.address) });
      }
    }
    return { nodes: reply.nodes, token: reply.token };
  }

  /**
   * One of `alpha` workers asking the pool's storers for the peer's record, closest first, while the
   * round's lookup runs (see {@link StorerPool}). A storer that returned a record also introduced us, so
   * its worker waits for the puncture (the storer's soft timeout) before asking the next one; one that had
   * nothing, or failed, is replaced at once. Stops after {@link MAX_INTRODUCTIONS} introductions.
   */
  private async storerWorker(): Promise<void> {
    while (!this.cancelled && this.records.introductions < MAX_INTRODUCTIONS) {
      // Requests in flight may each introduce us: never more than the bound in all.
      if (this.records.introductions + this.findPeersOut >= MAX_INTRODUCTIONS) {
        await this.storers.next();
        continue;
      }
      const next = this.storers.take();
      if (next === undefined) {
        if (await this.storers.more()) continue;
        return;
      }
      this.findPeersOut++;
      const held = await this.records.ask(next).catch(() => undefined);
      this.findPeersOut--;
      this.storers.outcome(next, held);
      this.storers.wake();
      if (held === true) await this.wait(this.d.network.softTimeoutMs(next.peer.id));
    }
  }

  /**
   * True when `nonce` is the id of a find-peer request of this search: a puncture carrying it was caused by
   * our request (the storer forwarded the id to the peer), not replayed from an earlier one.
   */
  asked(nonce: bigint): boolean {
    return this.records.echoes(nonce);
  }

  /** Hellos an address a lookup listed for the mid; a new one ends the locate stage. @returns true if it was new. */
  private hello(address: Address): boolean {
    if (!this.hellos.add(address, 'direct')) return false;
    this.foundAddress = true;
    return true;
  }

  /** A hello ended: with none pending, move on without waiting out the grace period. */
  private helloSettled(): void {
    if (this.cancelled || this.hellos.pending > 0) return;
    if (this.stage === 'direct') this.locate();
    else if (this.stage === 'located') this.askForRecord();
    else if (this.stage === 'storers') this.checkExhausted();
  }

  /** Reports `exhausted` once the storers were all asked and no hello is pending (see the module comment). */
  private checkExhausted(): void {
    if (this.cancelled || this.reportedExhausted || !this.storersAsked || this.hellos.pending > 0) return;
    this.reportedExhausted = true;
    this.trace('exhausted');
    this.hooks.exhausted();
  }

  /** How long a direct hello gets before the lookup starts: the DHT's soft timeout for the peer. */
  private graceMs(): number {
    return this.d.network.softTimeoutMs(this.mid);
  }

  private trace(step: string, fields?: Record<string, unknown>): void {
    this.hooks.trace?.(step, fields);
  }

  private armGrace(fn: () => void, ms = this.graceMs()): void {
    this.disarmGrace();
    this.grace = this.timers.schedule(ms, () => {
      this.grace = undefined;
      fn();
    });
  }

  private disarmGrace(): void {
    if (this.grace !== undefined) this.timers.unschedule(this.grace);
    this.grace = undefined;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.cancelled) return resolve();
      const signal = this.controller.signal;
      const onAbort = (): void => resolve();
      this.timers.schedule(ms, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

}

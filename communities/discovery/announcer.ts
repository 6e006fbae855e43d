/**
 * Keeps our own address record alive: announce to the k nodes closest to our mid (with the store token
 * each issued us), keep alive those that accepted, re-announce when too few hold it, periodically,
 * whenever our address changed, and when the DHT learned of a node that belongs among those k (the
 * network grew around our mid, so a lookup for it would no longer reach the nodes holding our record).
 * @module
 */
import type { Address, Incoming, PrivateKey, RequestBody, RequestOptions, RequestType, TimerHandle } from '../../framework/index.js';
import { addressKey, toHex } from '../../framework/index.js';
import { compareDistance } from '../dht/index.js';
import type { Contact, LookupPeer, RecordNetwork } from '../dht/index.js';
import { Announce } from './messages.js';

/** What the announcer needs of its community: the DHT's public door and events, timers, requests, settings. */
export interface AnnouncerHost {
  /** The DHT's public door. */
  readonly network: RecordNetwork;
  /** The DHT's contact events. */
  readonly contacts: {
    on(event: 'contact:added', fn: (contact: Contact) => void): unknown;
    off(event: 'contact:added', fn: (contact: Contact) => void): unknown;
  };
  /** The node's key, clock, randomness and transport. */
  readonly context: {
    readonly key: PrivateKey;
    readonly clock: { now(): number };
    readonly random: { int(n: number): number };
    readonly transport: { readonly localAddress: Address };
  };
  /** Discovery settings. */
  readonly settings: { readonly keepaliveIntervalMs: number; readonly minStorers: number; readonly reannounceIntervalMs: number };
  /** True while the community runs. */
  readonly isRunning: boolean;
  /** Sends a typed request. */
  sendRequest<Req extends RequestBody, Res extends RequestBody>(to: Address, type: RequestType<Req, Res>, body: Omit<Req, 'id'>, options?: RequestOptions): Promise<Incoming<Res>>;
  /** Timers. */
  after(ms: number, fn: () => void): TimerHandle;
  every(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
}

/** A node holding our record, and the token to use for the next keepalive. */
export interface Storer {
  /** The storing node. */
  peer: LookupPeer;
  /** The token it issued to our address. */
  token: Uint8Array;
}

/** Announcement state of one node. */
export class Announcer {
  /** Nodes currently holding our record, by hex id. */
  readonly storers = new Map<string, Storer>();
  private timer: TimerHandle | undefined;
  private announcedFrom: string | undefined;
  private lastFullAnnounce = Number.NEGATIVE_INFINITY;
  private busy = false;
  private closerSeen = false;
  private readonly onContact = (contact: Contact): void => {
    if (!this.closerSeen && this.belongsAmongStorers(contact.id)) this.closerSeen = true;
  };

  /** @param d the owner. */
  constructor(private readonly d: AnnouncerHost) {}

  /** True if `id` (a node id) holds our record. */
  isStorer(id: Uint8Array): boolean {
    return this.storers.has(toHex(id));
  }

  /** Starts the keepalive tick (first tick soon, at a random offset). */
  start(): void {
    this.d.contacts.on('contact:added', this.onContact);
    const first = 500 + this.d.context.random.int(1_000);
    this.timer = this.d.after(first, () => {
      void this.tick();
      this.timer = this.d.every(this.d.settings.keepaliveIntervalMs, () => void this.tick());
    });
  }

  /** Stops the tick. */
  stop(): void {
    this.d.contacts.off('contact:added', this.onContact);
    this.d.cancel(this.timer);
    this.timer = undefined;
    this.storers.clear();
    this.announcedFrom = undefined;
  }

  /** One keepalive round; re-announces in full when needed. */
  async tick(): Promise<void> {
    if (this.busy || !this.d.isRunning) return;
    this.busy = true;
    try {
      const now = this.d.context.clock.now();
      const here = addressKey(this.d.context.transport.localAddress);
      const stale = now - this.lastFullAnnounce >= this.d.settings.reannounceIntervalMs;
      const few = this.storers.size < this.d.settings.minStorers;
      if (here !== this.announcedFrom || stale || few || this.closerSeen) {
        await this.announce();
      } else {
        await Promise.allSettled([...this.storers.entries()].map(([hex, s]) => this.keepalive(hex, s)));
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * Announces our record to the k nodes closest to our mid.
   * @returns how many accepted it.
   */
  async announce(): Promise<number> {
    const d = this.d;
    if (d.network.isAlone) return 0;
    const local: Address = d.context.transport.localAddress;
    this.lastFullAnnounce = d.context.clock.now();
    const nodes = await d.network.findClosestNodes(d.context.key.publicKey.mid).catch(() => []);
    // The lookup just found the current k closest: contacts learned until now are accounted for.
    this.closerSeen = false;
    // Fill a new table and swap it in, so `isStorer` keeps answering for the old one meanwhile.
    const next = new Map<string, Storer>();
    await Promise.allSettled(nodes.map((n) => this.send(toHex(n.peer.id), { peer: n.peer, token: n.token }, next)));
    this.storers.clear();
    for (const [hex, s] of next) this.storers.set(hex, s);
    this.announcedFrom = addressKey(local);
    return this.storers.size;
  }

  private async keepalive(hex: string, storer: Storer): Promise<void> {
    await this.send(hex, storer, this.storers).catch(() => undefined);
  }

  private async send(hex: string, storer: Storer, into: Map<string, Storer>): Promise<void> {
    const d = this.d;
    try {
      const body = { mid: d.context.key.publicKey.mid, token: storer.token };
      const { value } = await d.sendRequest(storer.peer.address, Announce, body, { recipient: d.network.recipientKey(storer.peer.id) });
      if (value.accepted) into.set(hex, { peer: storer.peer, token: value.token });
      else into.delete(hex);
    } catch {
      into.delete(hex);
    }
  }

  /** True if a node with this id is not holding our record but is closer to our mid than one that is (or we have fewer than k). */
  private belongsAmongStorers(id: Uint8Array): boolean {
    if (this.storers.has(toHex(id))) return false;
    if (this.storers.size < this.d.network.bucketSize) return true;
    const mid = this.d.context.key.publicKey.mid;
    for (const s of this.storers.values()) if (compareDistance(mid, id, s.peer.id) < 0) return true;
    return false;
  }
}

/**
 * py-ipv8's `DHTDiscoveryCommunity` in compatible mode (`ipv8/dht/discovery.py`): on the DHT's community
 * id, a node stores its own address under its own mid on the nodes closest to it (store-peer, every 30 s
 * while fewer than 4 hold it), pings them every 10 s (they forget it after 60 s of silence), and
 * `connectPeer(mid)` asks the nodes near a mid, which ask the stored peer to puncture toward us
 * (connect-peer) and answer with its address.
 * @module
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import type { PublicKey } from '../../framework/crypto/keys.js';
import type { CommunityContext } from '../../framework/community/context.js';
import { CommunityStats } from '../../framework/community/stats.js';
import { TOKENS } from '../../framework/di/tokens.js';
import type { Address } from '../../framework/endpoint/address.js';
import { addressKey } from '../../framework/endpoint/address.js';
import { InvalidArgumentError } from '../../framework/errors.js';
import { equalBytes, toHex } from '../../framework/util/bytes.js';
import { Ipv8DHTCommunity, Ipv8DHTError } from './ipv8-dht-community.js';
import type { Ipv8DHTEvents, Ipv8DHTSettings, Ipv8Node } from './ipv8-dht-community.js';
import type { Ipv8Incoming } from './ipv8-overlay.js';
import { ConnectPeerRequest, ConnectPeerResponse, IPV8_MAX_IN_FIND, PingRequest, PingResponse, StorePeerRequest, StorePeerResponse } from './messages.js';
import type { Ipv8WireNode } from './messages.js';
import { IPV8_TOKEN_EXPIRATION_MS } from './tokens.js';

/** py-ipv8's store-peer interval. */
export const IPV8_STORE_PEER_INTERVAL_MS = 30_000;
/** py-ipv8's `ping_all` interval. */
export const IPV8_PING_ALL_INTERVAL_MS = 10_000;
/** py-ipv8's `PING_INTERVAL`: a storer is pinged at most this often. */
const PING_INTERVAL_MS = 25_000;
/** A stored peer silent this long is forgotten (py-ipv8: 60 s). */
const STORED_SILENCE_MS = 60_000;
/** The most peers held per mid, and mids held. */
const MAX_PER_MID = 16;
const MAX_MIDS = 4_096;

/** A peer stored here under its mid (py-ipv8's `store` entries). */
export interface StoredPeer {
  /** Its key. */
  readonly key: PublicKey;
  /** Where it asked to be stored from. */
  address: Address;
  /** When it last stored itself or pinged us (ms). */
  lastQuery: number;
}

/** A node that confirmed it stores our address (py-ipv8's `store_for_me` entries). */
export interface Storer {
  /** The node. */
  readonly node: Ipv8Node;
  /** When we last pinged it (ms). */
  lastPing: number;
  /** Pings it failed to answer in a row (2 drop it). */
  failures: number;
}

/**
 * py-ipv8's `DHTDiscoveryCommunity`, compatible on the wire.
 * @example
 * ```ts
 * const discovery = host.register(Ipv8DHTDiscoveryCommunity, { bootstrap: [parseAddress('127.0.0.1:8090')] });
 * await host.start();
 * const nodes = await discovery.connectPeer(otherMid);
 * ```
 */
@injectable()
export class Ipv8DHTDiscoveryCommunity extends Ipv8DHTCommunity<Ipv8DHTEvents> {
  /** Peers stored here, by mid hex (py-ipv8's `store`). */
  readonly stored = new Map<string, StoredPeer[]>();
  /** Nodes that confirmed they store us (py-ipv8's `store_for_me`). */
  readonly storers = new Map<string, Storer>();

  /**
   * @param ctx the node's services.
   * @param settings see {@link Ipv8DHTSettings}.
   */
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: Ipv8DHTSettings) {
    super(ctx, settings);
    this.handle(StorePeerRequest, (m) => this.#onStorePeerRequest(m));
    this.handle(StorePeerResponse, (m) => this.#settlePlain('store-peer', m));
    this.handle(ConnectPeerRequest, (m) => this.#onConnectPeerRequest(m));
    this.handle(ConnectPeerResponse, (m) => this.#settlePlain('connect-peer', m));
    // A ping from a peer we store keeps it alive (py-ipv8's on_ping_request override).
    this.handle(PingRequest, (m) => {
      this.#touchStored(m.sender, m.from);
      this.#pong(m);
    });
  }

  #pong(m: Ipv8Incoming<{ identifier: number }>): void {
    if (m.sender === undefined) return;
    this.learn(m.sender, m.from);
    this.send(m.from, PingResponse, { identifier: m.value.identifier });
  }

  /** @inheritDoc */
  protected override async onStart(): Promise<void> {
    await super.onStart();
    this.every(IPV8_STORE_PEER_INTERVAL_MS, () => void this.storePeer().catch(() => undefined));
    this.every(IPV8_PING_ALL_INTERVAL_MS, () => this.#pingAll());
  }

  #settlePlain(kind: string, m: Ipv8Incoming<{ identifier: number }>): void {
    if (m.sender === undefined) return;
    if (this.requests.settle(kind, m.value.identifier, m.from, m)) this.amplification?.prove(m.from);
  }

  #touchStored(sender: PublicKey | undefined, from: Address): void {
    if (sender === undefined) return;
    for (const list of this.stored.values()) for (const p of list) if (equalBytes(p.key.mid, sender.mid) && addressKey(p.address) === addressKey(from)) p.lastQuery = this.ctx.clock.now();
  }

  /**
   * Stores our address under our mid on the closest nodes, unless at least 4 already do (py-ipv8's `store_peer`).
   * @returns the nodes that confirmed now.
   */
  async storePeer(): Promise<Ipv8Node[]> {
    if (this.storers.size >= Math.floor(8 / 2)) return [];
    const mid = this.ctx.key.publicKey.mid;
    const nodes = (await this.findNodes(mid)).slice(0, 8).filter((n) => !this.storers.has(toHex(n.id)));
    const now = this.ctx.clock.now();
    const done = await Promise.allSettled(
      nodes.map(async (n) => {
        const t = this.peerTokens.get(toHex(n.id));
        if (t === undefined || now - t.at > IPV8_TOKEN_EXPIRATION_MS) return undefined;
        await this.request('store-peer', n.address, StorePeerRequest, { token: t.token, target: mid }, 5_000);
        this.storers.set(toHex(n.id), { node: n, lastPing: this.ctx.clock.now(), failures: 0 });
        return n;
      }),
    );
    return done.flatMap((r) => (r.status === 'fulfilled' && r.value !== undefined ? [r.value] : []));
  }

  #onStorePeerRequest(m: Ipv8Incoming<{ identifier: number; token: Uint8Array; target: Uint8Array }>): void {
    if (m.sender === undefined) return;
    if (!this.tokens.check(m.sender.mid, m.from, m.value.token)) return CommunityStats.bump(this.stats.dropped, 'bad-token');
    if (!equalBytes(m.value.target, m.sender.mid)) return CommunityStats.bump(this.stats.dropped, 'not-own-mid');
    this.amplification?.prove(m.from);
    const hex = toHex(m.value.target);
    let list = this.stored.get(hex);
    if (list === undefined) {
      if (this.stored.size >= MAX_MIDS) return CommunityStats.bump(this.stats.dropped, 'store-full');
      list = [];
      this.stored.set(hex, list);
    }
    const now = this.ctx.clock.now();
    const old = list.find((p) => addressKey(p.address) === addressKey(m.from));
    if (old !== undefined) old.lastQuery = now;
    else if (list.length < MAX_PER_MID) list.push({ key: m.sender, address: m.from, lastQuery: now });
    this.send(m.from, StorePeerResponse, { identifier: m.value.identifier });
  }

  #onConnectPeerRequest(m: Ipv8Incoming<{ identifier: number; lanAddress: Address; target: Uint8Array }>): void {
    if (m.sender === undefined) return;
    const list = (this.stored.get(toHex(m.value.target)) ?? []).slice(0, IPV8_MAX_IN_FIND);
    // Within the host's amplification bound toward an unproven requester (each node about 83 bytes).
    const allowance = this.amplification?.allowance(m.from) ?? Number.POSITIVE_INFINITY;
    const fixed = 23 + 2 + this.context.key.publicKey.toBinary().length + 4 + 1 + 64;
    while (list.length > 0 && fixed + list.reduce((n, p) => n + (p.address.host.includes(':') ? 19 : 7) + 2 + p.key.toBinary().length, 0) > allowance) list.pop();
    for (const p of list) this.sendPunctureRequest(p.address, m.value.lanAddress, m.from, m.value.identifier);
    this.send(m.from, ConnectPeerResponse, { identifier: m.value.identifier, nodes: list.map((p) => ({ address: p.address, publicKey: p.key.toBinary() })) });
  }

  /**
   * Finds where the peer with `mid` can be reached (py-ipv8's `connect_peer`): the peers stored here under
   * it, else a routing-table contact with that mid that answers a ping, else the nodes near `mid` are
   * asked (connect-peer), which ask the peer to puncture toward us.
   * @returns the nodes found (at least one).
   * @throws {@link Ipv8DHTError} when none was found; {@link InvalidArgumentError} for a mid that is not 20 bytes.
   */
  async connectPeer(mid: Uint8Array): Promise<Ipv8Node[]> {
    if (mid.length !== 20) throw new InvalidArgumentError(`mid must be 20 bytes, got ${mid.length}`);
    const here = this.stored.get(toHex(mid));
    if (here !== undefined && here.length > 0) return here.map((p) => ({ id: this.idOf(p.key, p.address), address: p.address, publicKey: p.key.toBinary() }));
    const contact = this.routingTable.contacts().find((c) => c.publicKeyBinary !== undefined && equalBytes(c.id.subarray(3), mid.subarray(0, 17)));
    if (contact !== undefined) {
      try {
        const key = await this.pingAddress(contact.address);
        if (equalBytes(key.mid, mid)) return [{ id: contact.id, address: contact.address, publicKey: key.toBinary() }];
      } catch {
        // not reachable there: ask the DHT
      }
    }
    const near = (await this.findNodes(mid)).slice(0, 8);
    const answers = await Promise.allSettled(
      near.map((n) => this.request<{ identifier: number; lanAddress: Address; target: Uint8Array }, { identifier: number; nodes: Ipv8WireNode[] }>('connect-peer', n.address, ConnectPeerRequest, { lanAddress: this.ctx.transport.localAddress, target: mid }, 5_000)),
    );
    const found = new Map<string, Ipv8Node>();
    for (const a of answers) if (a.status === 'fulfilled') for (const n of this.toNodes(a.value.value.nodes)) found.set(addressKey(n.address), n);
    if (found.size === 0) throw new Ipv8DHTError(`peer ${toHex(mid)} not found`);
    return [...found.values()];
  }

  #pingAll(): void {
    const now = this.ctx.clock.now();
    for (const [id, s] of this.storers) {
      if (s.failures >= 2) {
        this.storers.delete(id);
        continue;
      }
      if (now - s.lastPing < PING_INTERVAL_MS) continue;
      s.lastPing = now;
      this.pingAddress(s.node.address).then(
        () => void (s.failures = 0),
        () => void s.failures++,
      );
    }
    for (const [hex, list] of this.stored) {
      const live = list.filter((p) => now - p.lastQuery <= STORED_SILENCE_MS);
      if (live.length === 0) this.stored.delete(hex);
      else this.stored.set(hex, live);
    }
  }
}

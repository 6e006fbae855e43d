/**
 * The grinding attack of issue #16 on the in-memory network, shared by `bench/grinding.ts` (the grinding
 * rows of `npm run bench -- adversarial`) and the CI test `test/communities/dht/grinding.test.ts`: an
 * honest network (every node at a public-like address of 198.18.0.0/15), then {@link GrinderDHT}s whose
 * ids are ground next to target keys ({@link grindKeys}: real keys at SHA-1 speed) join from a realistic
 * set of addresses: 64 IPv4 addresses in 4 /24s (several nodes per address, on different ports) or one
 * IPv6 /48. Per target, k or 2k attackers; per target, either a value published after the attack or one
 * published before it and updated after (the attackers serve the old version). {@link GrindingNet.measure}
 * publishes and finds, and counts the honest finders that got the value, and the newest version.
 * @module
 */
import 'reflect-metadata';
import type { DHTCommunity, DHTSettings, ValueRecord } from '../communities/dht/index.js';
import { signRecord } from '../communities/dht/index.js';
import { OverlayHost, SeededRandom, toHex, utf8 } from '../framework/index.js';
import type { Address, PrivateKey } from '../framework/index.js';
import { AdversarialNet } from './adversarial-net.js';
import { GrindCoalition, GrinderDHT, grindKeys } from './grinder.js';
import type { GrinderSettings } from './grinder.js';

/** Address families the attacker holds: `ipv4`, 64 addresses in 4 /24s; `ipv6`, one /48. */
export type AttackerFamily = 'ipv4' | 'ipv6';

/** What is looked up: a value published after the attack, or one published before it and updated after. */
export type ValueKind = 'new' | 'updated';

/** One attacked key. */
export interface GrindTarget {
  /** `ipv4-8-new` and the like. */
  readonly name: string;
  /** The measurement it is for (each measured with keys of its own, so one leaves no cached copies for another). */
  readonly label: string;
  readonly family: AttackerFamily;
  /** Attacker nodes ground next to the key. */
  readonly attackers: number;
  readonly kind: ValueKind;
  /** The key (20 bytes). */
  readonly key: Uint8Array;
  /** For `updated`: the honest node that published the old version and publishes the updates. */
  readonly publisher: DHTCommunity | undefined;
}

/** The defences of the honest nodes, switched on a running network. */
export interface Defences {
  /** `maxPerIpGroupPerLookup`. */
  readonly caps: number;
  /** `denseClusterCheck`. */
  readonly dense: boolean;
}

/** Options of {@link GrindingNet.build}. */
export interface GrindingNetOptions {
  /** Honest nodes. */
  readonly honest: number;
  /** Settings of every node (k is `bucketSize`, default 8). */
  readonly settings: DHTSettings;
  readonly seed: number;
  /** Attacked keys: one per (label, family, attackers, kind). */
  readonly targets: ReadonlyArray<{ label: string; family: AttackerFamily; attackers: number; kind: ValueKind }>;
  /** Real key pairs per half for the grinding (ids tried = poolSize^2). */
  readonly poolSize: number;
}

/** Outcome of one {@link GrindingNet.measure}. */
export interface GrindRow {
  /** The target's name. */
  readonly target: string;
  readonly paths: number;
  /** Nodes that acknowledged the store (attackers included: they lie). */
  readonly storeAcks: number;
  readonly finds: number;
  /** Finds that returned the value published (for `updated`: its newest version). */
  readonly succeeded: number;
  readonly rate: number;
  /** Finds that returned an older version of the publisher's value only. */
  readonly stale: number;
  /** Queries per find (the finders' lookups). */
  readonly queriesPerFind: number;
}

/** The first three bytes of the attacker's 4 /24s, and its /48. */
const ATTACKER_V4_GROUPS = ['203.0.113', '198.51.100', '192.0.2', '100.64.0'];
const ATTACKER_V4_HOSTS_PER_GROUP = 16;
const ATTACKER_V6_PREFIX = '2001:db8:77';
/** A cached find result is used at most 60 s: measurements are this far apart. */
const MEASUREMENT_GAP_MS = 61_000;

/** A network under the grinding attack. */
export class GrindingNet {
  /** The attackers, in join order. */
  readonly attackers: GrinderDHT[] = [];
  /** The attackers' shared state. */
  readonly coalition = new GrindCoalition();
  /** The attacked keys. */
  readonly targets: GrindTarget[] = [];
  /** Ids tried by the grinding, and its wall time in ms. */
  grind = { tried: 0, hashMs: 0, keyPairsMs: 0 };
  private readonly used = new Set<DHTCommunity>();
  private measurements = 0;

  private constructor(readonly net: AdversarialNet) {}

  /**
   * Builds the honest network, publishes the old versions of the `updated` targets, grinds the
   * attackers' keys and joins them.
   */
  static async build(o: GrindingNetOptions, onProgress?: (joined: number) => void): Promise<GrindingNet> {
    const net = await AdversarialNet.build({ nodes: o.honest, adversaryFraction: 0, seed: o.seed, settings: o.settings }, onProgress);
    const g = new GrindingNet(net);
    const random = new SeededRandom(o.seed + 7);
    for (const t of o.targets) {
      const key = random.bytes(20);
      const publisher = t.kind === 'updated' ? g.fresh() : undefined;
      g.targets.push({ name: `${t.family}-${t.attackers}-${t.kind}`, ...t, key, publisher });
    }
    // The old versions, published before the attack; the attackers got a copy (any node can read them).
    await net.settle(
      Promise.all(
        g.targets.map(async (t) => {
          if (t.publisher === undefined) return;
          const record = signRecord(t.publisher.context.key, t.key, utf8(`old value of ${t.name}`), Math.floor(net.clock.now()));
          await t.publisher.storeRecord(record);
          g.coalition.stale.set(toHex(t.key), [record as ValueRecord]);
        }),
      ),
    );
    const started = Date.now();
    const keep = Math.max(...o.targets.map((t) => t.attackers));
    const ground = grindKeys({ targets: g.targets.map((t) => t.key), poolSize: o.poolSize, keep, random });
    g.grind = { tried: ground.tried, hashMs: ground.hashMs, keyPairsMs: Date.now() - started - ground.hashMs };
    let v4 = 0;
    let v6 = 0;
    for (let i = 0; i < g.targets.length; i++) {
      const t = g.targets[i]!;
      for (const { key } of ground.keys[i]!.slice(0, t.attackers)) {
        const address = t.family === 'ipv4' ? attackerV4(v4++) : attackerV6(v6++);
        await g.join(key, address, o.settings);
      }
    }
    return g;
  }

  /** Honest nodes. */
  get honest(): DHTCommunity[] {
    return this.net.honest;
  }

  /** Switches every honest node's defences. */
  setDefences(d: Defences): void {
    for (const node of this.net.honest) {
      node.settings.maxPerIpGroupPerLookup = d.caps;
      node.settings.denseClusterCheck = d.dense;
    }
  }

  /**
   * For `target`: publishes (a new publisher's value, or the next version of the updated one) with
   * `paths` disjoint paths, then `finders` distinct honest nodes that took part in nothing yet find it
   * (with `first`, returning at the first plausible storer's answer; queries are counted once the
   * background lookups ended too).
   */
  async measure(target: GrindTarget, paths: number, finders: number, tag: string, first = false): Promise<GrindRow> {
    const net = this.net;
    await net.clock.advance(this.measurements++ === 0 ? 0 : MEASUREMENT_GAP_MS);
    const publisher = target.publisher ?? this.fresh();
    const data = utf8(`${tag} d${paths} ${target.name}`);
    const storeAcks = await net.settle(publisher.storeValue(target.key, data, { sign: true, disjointPaths: paths }).catch(() => 0));
    const mid = publisher.context.key.publicKey.midHex;
    const chosen = this.sample(finders, publisher);
    const queries = (): number => chosen.reduce((t, d) => t + d.statistics.queries, 0);
    const before = queries();
    let succeeded = 0;
    let stale = 0;
    await net.settle(
      Promise.all(
        chosen.map(async (finder) => {
          const found = await finder.findValues(target.key, { disjointPaths: paths, first }).catch(() => []);
          const mine = found.filter((v) => v.publicKey?.midHex === mid);
          if (mine.some((v) => sameBytes(v.data, data))) succeeded++;
          else if (mine.length > 0) stale++;
        }),
      ),
    );
    if (first) await net.clock.advance(10_000); // the background lookups end
    return { target: target.name, paths, storeAcks, finds: chosen.length, succeeded, rate: succeeded / chosen.length, stale, queriesPerFind: (queries() - before) / chosen.length };
  }

  /** Stops every node. @returns the clock's pending timers (0 when clean). */
  stop(): Promise<number> {
    return this.net.stop();
  }

  /** An honest node not used as a publisher yet. */
  private fresh(): DHTCommunity {
    for (;;) {
      const d = this.net.honest[1 + this.net.random.int(this.net.honest.length - 1)]!;
      if (!this.used.has(d)) {
        this.used.add(d);
        return d;
      }
    }
  }

  /** `n` distinct honest nodes, never a publisher nor `except`. */
  private sample(n: number, except: DHTCommunity): DHTCommunity[] {
    const pool = this.net.honest.filter((d) => d !== except && !this.used.has(d));
    for (let i = pool.length - 1; i > 0; i--) {
      const j = this.net.random.int(i + 1);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, n);
  }

  private async join(key: PrivateKey, address: Address, settings: DHTSettings): Promise<void> {
    const net = this.net;
    const random = new SeededRandom(net.random.int(2 ** 31));
    const host = new OverlayHost({ endpoint: net.network.createEndpoint(address), key, clock: net.clock, random });
    const grinderSettings: GrinderSettings = { ...settings, coalition: this.coalition };
    const node = host.register(GrinderDHT, grinderSettings);
    await host.start();
    this.coalition.members.push({ id: node.nodeId, address });
    this.attackers.push(node);
    net.hosts.push(host);
    const honestHosts = net.honest.length; // the honest nodes joined first
    const intro = [net.hosts[0]!.endpoint.address, ...Array.from({ length: 3 }, () => net.hosts[net.random.int(honestHosts)]!.endpoint.address)];
    await net.settle(node.bootstrap(intro).catch(() => 0));
  }
}

function attackerV4(i: number): Address {
  const addresses = ATTACKER_V4_GROUPS.length * ATTACKER_V4_HOSTS_PER_GROUP;
  const a = i % addresses;
  const group = ATTACKER_V4_GROUPS[a % ATTACKER_V4_GROUPS.length]!;
  return { host: `${group}.${1 + Math.floor(a / ATTACKER_V4_GROUPS.length)}`, port: 7_000 + Math.floor(i / addresses) };
}

function attackerV6(i: number): Address {
  // Canonical text (RFC 5952), as addresses come back from the wire.
  return { host: `${ATTACKER_V6_PREFIX}:${((i >> 4) + 1).toString(16)}::${((i & 15) + 1).toString(16)}`, port: 7_000 };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

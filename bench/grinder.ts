/**
 * The id-grinding attacker of issue #16, for `bench/grinding-net.ts` (the bench's grinding rows and the CI
 * test `test/communities/dht/grinding.test.ts`):
 *
 * - **Grinding real keys at SHA-1 speed.** A node id is SHA-1 of the key binary `"LibNaCLPK:" | X25519
 *   public | Ed25519 public`, and nothing ties one half to the other. {@link grindKeys} makes a pool of X
 *   real X25519 key pairs and E real Ed25519 key pairs (the slow part, X + E key generations) and hashes
 *   every one of the X * E combinations: each is a real key (both private halves known) for one SHA-1.
 * - **Attacker nodes** ({@link GrinderDHT}) that join like everyone else, answer pings, accept every store
 *   with "stored" and drop it, answer finds with only each other (the coalition's members closest to the
 *   key), and serve the stale version of a value when the coalition has one (signed by its publisher,
 *   so it passes every check; only a newer version beats it).
 *
 * {@link measureGrindRate} measures how many ids per second one core grinds (SHA-1 of a key binary).
 * @module
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { inject, injectable } from 'tsyringe';
import { DHTCommunity, compareDistance } from '../communities/dht/index.js';
import type { DHTSettings, LookupPeer, ValueRecord } from '../communities/dht/index.js';
import { FindRequest, FindResponse, StoreRequest, StoreResponse } from '../communities/dht/messages.js';
import type { FindRequestBody, StoreRequestBody } from '../communities/dht/records/record-messages.js';
import { verdictCode } from '../communities/dht/records/policy.js';
import type { ValueWireValue } from '../communities/dht/value-policy.js';
import { PrivateKey, TOKENS, concatBytes, toHex, utf8 } from '../framework/index.js';
import type { CommunityContext, Handler, Incoming, MessageSpec, Random } from '../framework/index.js';

/** The attackers' shared state: members, and the stale records they serve per key. */
export class GrindCoalition {
  /** Every member (id and address). */
  readonly members: LookupPeer[] = [];
  /** Old signed records they serve instead of anything newer, by key hex. */
  readonly stale = new Map<string, ValueRecord[]>();

  /** The `n` members closest to `target`, nearest first, leaving out `except` (hex id). */
  closest(target: Uint8Array, n: number, except?: string): LookupPeer[] {
    return this.members
      .filter((m) => except === undefined || toHex(m.id) !== except)
      .sort((a, b) => compareDistance(target, a.id, b.id))
      .slice(0, n);
  }
}

/** Settings of a {@link GrinderDHT}: the DHT's and the coalition. */
export interface GrinderSettings extends DHTSettings {
  /** The coalition this node belongs to. */
  coalition: GrindCoalition;
}

/** A DHT node with a ground id that eclipses its key (see the module comment). */
@injectable()
export class GrinderDHT extends DHTCommunity {
  /** What it did. */
  readonly attacks = { finds: 0, staleServed: 0, droppedStores: 0 };
  private readonly coalition: GrindCoalition;

  /** @param ctx the node's services. @param settings see {@link GrinderSettings}. */
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: GrinderSettings) {
    super(ctx, settings);
    this.coalition = settings.coalition;
  }

  /** Swaps in the attacker's handlers for finds and stores (called by the DHT's constructor). */
  override handle<T>(spec: MessageSpec<T>, handler: Handler<T>): void {
    if ((spec as MessageSpec<unknown>) === FindRequest) return super.handle(spec, (m) => this.eclipseFind(m as Incoming<never>));
    if ((spec as MessageSpec<unknown>) === StoreRequest) return super.handle(spec, (m) => this.dropStore(m as Incoming<never>));
    super.handle(spec, handler);
  }

  private eclipseFind(m: Incoming<FindRequestBody>): void {
    const { id, target, records: wantRecords } = m.value;
    const nodes = this.coalition.closest(target, this.settings.bucketSize, m.sender?.midHex);
    const stale = wantRecords ? (this.coalition.stale.get(toHex(target)) ?? []) : [];
    const records = stale.map((r) => ({ record: this.values.policy.toWire(r), ttl: 3_600_000 }));
    this.attacks.finds++;
    this.attacks.staleServed += records.length;
    this.send(m.from, FindResponse, { id, token: this.tokens.issue(m.from), nodes, records, total: records.length, more: false, authoritative: records.length > 0 });
  }

  private dropStore(m: Incoming<StoreRequestBody<ValueWireValue>>): void {
    this.attacks.droppedStores += m.value.records.length;
    const stored = verdictCode('stored');
    this.send(m.from, StoreResponse, { id: m.value.id, verdicts: m.value.records.map(() => stored) });
  }
}

/** One ground key: its id's distance to the target as a fraction of the id space, and the key. */
export interface GroundKey {
  /** XOR distance of the id to the target, as a fraction of the id space (first 7 bytes). */
  readonly distance: number;
  /** The private key (both halves real). */
  readonly key: PrivateKey;
}

/** Options of {@link grindKeys}. */
export interface GrindOptions {
  /** The keys to grind ids toward. */
  readonly targets: readonly Uint8Array[];
  /** Real key pairs generated per half: X25519 halves x Ed25519 halves = the ids tried. */
  readonly poolSize: number;
  /** Best ids kept per target. */
  readonly keep: number;
  /** Randomness of the key pairs. */
  readonly random: Random;
}

/** What {@link grindKeys} found and what it cost. */
export interface GrindResult {
  /** Per target, the `keep` closest ids found, nearest first. */
  readonly keys: GroundKey[][];
  /** Ids tried (SHA-1 computations). */
  readonly tried: number;
  /** Wall time of the hashing, in ms (the key pairs excluded). */
  readonly hashMs: number;
}

const PK_PREFIX = utf8('LibNaCLPK:');
const SK_PREFIX = utf8('LibNaCLSK:');
/** Bytes of the prefix, then of each 32-byte half, in a key binary. */
const PREFIX_BYTES = 10;
const HALF_BYTES = 32;

/**
 * Grinds ids toward every target at once: `poolSize` real X25519 and `poolSize` real Ed25519 key pairs,
 * then SHA-1 of every combination's public binary, keeping the `keep` closest per target.
 */
export function grindKeys(o: GrindOptions): GrindResult {
  const pool = Array.from({ length: o.poolSize }, () => PrivateKey.generate(o.random));
  const secret = pool.map((k) => k.toBinary());
  const pub = pool.map((k) => k.publicKey.toBinary());
  const best: Array<Array<{ distance: number; x: number; e: number }>> = o.targets.map(() => []);
  const bound = o.targets.map(() => Infinity);
  const binary = new Uint8Array(PREFIX_BYTES + 2 * HALF_BYTES);
  binary.set(PK_PREFIX, 0);
  const started = Date.now();
  for (let x = 0; x < o.poolSize; x++) {
    binary.set(pub[x]!.subarray(PREFIX_BYTES, PREFIX_BYTES + HALF_BYTES), PREFIX_BYTES);
    for (let e = 0; e < o.poolSize; e++) {
      binary.set(pub[e]!.subarray(PREFIX_BYTES + HALF_BYTES), PREFIX_BYTES + HALF_BYTES);
      const id = createHash('sha1').update(binary).digest();
      for (let t = 0; t < o.targets.length; t++) {
        const d = fraction(o.targets[t]!, id);
        if (d >= bound[t]!) continue;
        const list = best[t]!;
        list.push({ distance: d, x, e });
        list.sort((a, b) => a.distance - b.distance);
        if (list.length > o.keep) list.pop();
        if (list.length === o.keep) bound[t] = list[list.length - 1]!.distance;
      }
    }
  }
  const hashMs = Date.now() - started;
  const keys = best.map((list) =>
    list.map(({ distance, x, e }) => {
      const s = concatBytes(SK_PREFIX, secret[x]!.subarray(PREFIX_BYTES, PREFIX_BYTES + HALF_BYTES), secret[e]!.subarray(PREFIX_BYTES + HALF_BYTES));
      return { distance, key: PrivateKey.fromBinary(s) };
    }),
  );
  return { keys, tried: o.poolSize * o.poolSize, hashMs };
}

/**
 * Ids one core grinds per second of CPU time (so the figure does not depend on the machine's load): SHA-1
 * of a 74-byte key binary whose X25519 half changes each time, for about `ms` of wall time.
 */
export function measureGrindRate(ms = 1_000): number {
  const binary = new Uint8Array(PREFIX_BYTES + 2 * HALF_BYTES);
  binary.set(PK_PREFIX, 0);
  let n = 0;
  const started = Date.now();
  const cpu = process.cpuUsage();
  while (Date.now() - started < ms) {
    for (let i = 0; i < 10_000; i++, n++) {
      binary[PREFIX_BYTES] = n & 255;
      binary[PREFIX_BYTES + 1] = (n >> 8) & 255;
      binary[PREFIX_BYTES + 2] = (n >> 16) & 255;
      createHash('sha1').update(binary).digest();
    }
  }
  const used = process.cpuUsage(cpu);
  return Math.round((n * 1e6) / Math.max(1, used.user + used.system));
}

function fraction(a: Uint8Array, b: Uint8Array): number {
  let x = 0;
  let scale = 1 / 256;
  for (let i = 0; i < 7; i++, scale /= 256) x += (a[i]! ^ b[i]!) * scale;
  return x;
}

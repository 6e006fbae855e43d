/**
 * The grinding rows of `npm run bench -- adversarial` (issue #16): a network of honest nodes (default
 * 1,000, k = 8) attacked by ids ground next to target keys (bench/grinding-net.ts). Per target: the
 * attacker's family (64 IPv4 addresses in 4 /24s, or one IPv6 /48), k or 2k attacker nodes, and a value
 * published after the attack or one updated after it. Every target is measured with 1 and 4 disjoint
 * paths under each combination of the defences (`maxPerIpGroupPerLookup`, `denseClusterCheck`), switched
 * on the same network: `none`, `caps`, `dense`, `both` (the default). Also measures the SHA-1 grind rate
 * of this machine and what placing k ids next to a key costs at N = 10^3..10^6.
 * @module
 */
import { loadavg } from 'node:os';
import type { Defences, GrindRow } from './grinding-net.js';
import { GrindingNet } from './grinding-net.js';
import { measureGrindRate } from './grinder.js';
import { table } from './measure.js';
import { BenchError } from './report.js';

/** Options of {@link runGrinding}. */
export interface GrindingOptions {
  /** Honest nodes. @default 1000 */
  honest?: number;
  /** Finders per measurement (distinct honest nodes). @default 200 */
  finders?: number;
  /** Kademlia k of every node. @default 8 */
  bucketSize?: number;
  /** Real key pairs per half for the grinding (ids tried = poolSize^2). @default 1024 */
  poolSize?: number;
  /** Defence combinations measured. @default all four */
  defences?: ReadonlyArray<keyof typeof DEFENCES>;
  /** Seed. @default 1 */
  seed?: number;
  /** The finds return at the first plausible storer's answer (`findValues(key, { first: true })`). @default false */
  first?: boolean;
  /** Progress lines. @default nothing */
  log?: (line: string) => void;
}

/** The defence combinations: IP-group caps on the k closest and the dense-cluster check. */
export const DEFENCES = {
  none: { caps: Infinity, dense: false },
  caps: { caps: 1, dense: false },
  dense: { caps: Infinity, dense: true },
  both: { caps: 1, dense: true },
} as const satisfies Record<string, Defences>;

/** One row: a measurement under one defence combination. */
export interface GrindingRow extends GrindRow {
  readonly defences: string;
  /** 1-minute load average when the row was measured. */
  readonly load: number;
}

/** What placing ids next to a key costs at one network size. */
export interface GrindCost {
  readonly nodes: number;
  /** SHA-1s to place k ids closer to a key than its closest honest node (k * N on average). */
  readonly triesK: number;
  /** Seconds for that on one core. */
  readonly secondsK: number;
  /** The same for 2k ids. */
  readonly seconds2K: number;
}

/** Result of {@link runGrinding}. */
export interface GrindingResult {
  benchmark: 'adversarial-grinding';
  honest: number;
  attackers: number;
  bucketSize: number;
  /** The finds used `first`. */
  first: boolean;
  /** Ids one core grinds here per second of CPU time (SHA-1 of a key binary), and the load then. */
  grindRate: number;
  grindLoad: number;
  /** The bench's own grinding: ids tried, hashing time (ms), the real key pairs' time (ms). */
  grind: { tried: number; hashMs: number; keyPairsMs: number };
  costs: GrindCost[];
  buildWallMs: number;
  rows: GrindingRow[];
}

/** Network sizes of the cost table. */
const COST_SIZES = [1_000, 10_000, 100_000, 1_000_000];

/**
 * Builds the attacked network and measures every target with d = 1 and 4 under each defence combination.
 * @throws {@link BenchError} when an option is out of range.
 */
export async function runGrinding(options: GrindingOptions = {}): Promise<GrindingResult> {
  const honest = options.honest ?? 1_000;
  const finders = options.finders ?? 200;
  const k = options.bucketSize ?? 8;
  const poolSize = options.poolSize ?? 1_024;
  if (!Number.isInteger(honest) || honest < 50) throw new BenchError(`--nodes must be an integer >= 50, got ${honest}`);
  if (!Number.isInteger(finders) || finders < 1) throw new BenchError(`--finders must be an integer >= 1, got ${finders}`);
  const log = options.log ?? ((): void => undefined);
  const grindLoad = loadavg()[0]!;
  const grindRate = measureGrindRate();
  log(`grind rate ${grindRate} ids/s (load ${grindLoad.toFixed(2)})`);
  const costs = COST_SIZES.map((n) => ({ nodes: n, triesK: k * n, secondsK: (k * n) / grindRate, seconds2K: (2 * k * n) / grindRate }));
  // Each combination gets keys of its own (no cached copies from another's finds): the default and none
  // with k and 2k attackers, the single defences against 2k (the harder case).
  const names = options.defences ?? (Object.keys(DEFENCES) as Array<keyof typeof DEFENCES>);
  const targets = names.flatMap((label) =>
    (['ipv4', 'ipv6'] as const).flatMap((family) =>
      (label === 'both' || label === 'none' ? [k, 2 * k] : [2 * k]).flatMap((attackers) => (['new', 'updated'] as const).map((kind) => ({ label, family, attackers, kind }))),
    ),
  );
  const started = Date.now();
  const net = await GrindingNet.build({ honest, settings: { bucketSize: k }, seed: options.seed ?? 1, targets, poolSize }, (joined) => joined % 250 === 0 && log(`joined ${joined}/${honest} (${Math.round((Date.now() - started) / 1_000)} s)`));
  const buildWallMs = Date.now() - started;
  log(`built in ${buildWallMs} ms; ${net.attackers.length} attackers; ground ${net.grind.tried} ids in ${net.grind.hashMs} ms`);
  const result: GrindingResult = { benchmark: 'adversarial-grinding', honest, attackers: net.attackers.length, bucketSize: k, first: options.first === true, grindRate, grindLoad, grind: net.grind, costs, buildWallMs, rows: [] };
  try {
    for (const name of names) {
      net.setDefences(DEFENCES[name]);
      for (const paths of [1, 4]) {
        for (const target of net.targets.filter((t) => t.label === name)) {
          const row = await net.measure(target, paths, finders, name, options.first === true);
          result.rows.push({ defences: name, ...row, load: Number(loadavg()[0]!.toFixed(2)) });
          log(`${name} d=${paths} ${target.name}: ${row.succeeded}/${row.finds} (${row.stale} stale, ${row.queriesPerFind.toFixed(1)} queries/find)`);
        }
      }
    }
  } finally {
    await net.stop();
  }
  return result;
}

/** Prints the result as tables. */
export function printGrinding(r: GrindingResult): void {
  console.log(`grinding: ${r.honest} honest nodes, ${r.attackers} attackers, k=${r.bucketSize}${r.first ? ', finds with first: true' : ''}, built in ${r.buildWallMs} ms; grind rate ${r.grindRate} ids per CPU second (load ${r.grindLoad.toFixed(2)})`);
  console.log(table(r.costs.map((c) => ({ ...c, secondsK: Number(c.secondsK.toFixed(2)), seconds2K: Number(c.seconds2K.toFixed(2)) })), ['nodes', 'triesK', 'secondsK', 'seconds2K']));
  const rows = r.rows.map((x) => ({ ...x, successPercent: Number((x.rate * 100).toFixed(2)), queriesPerFind: Number(x.queriesPerFind.toFixed(2)) }));
  console.log(table(rows, ['defences', 'target', 'paths', 'storeAcks', 'finds', 'succeeded', 'successPercent', 'stale', 'queriesPerFind', 'load']));
}

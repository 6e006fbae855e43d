/**
 * `npm run bench -- adversarial [--nodes 2000] [--values 100] [--lookups 4] [--seed 1]`: the S/Kademlia
 * experiment on the in-memory network with real keys and signatures. 20% of the nodes are adversaries
 * (bench/adversary.ts): they answer finds with only adversaries, drop stores and return
 * forged values. Honest publishers store signed values and honest nodes look them up, with 1, 4 and 8
 * disjoint paths, first against the `closest` attack (real adversary ids), then against `fabricate`
 * (made-up ids next to the key). Every node runs with k = 16 (`bucketSize`), as S/Kademlia recommends
 * with d = 4. Every node joins through the network's first node (honest, its bootstrap node) and 3 random
 * earlier nodes (bench/adversarial-net.ts); `eclipsedFinds` counts finds by a node that knows no honest
 * node (0 with the bootstrap node). Prints a table and returns the rates as JSON. The CI test
 * (`adversarial.test.ts`) runs the same code on a smaller network.
 * @module
 */
import { AdversarialNet } from './adversarial-net.js';
import type { FindRate } from './adversarial-net.js';
import type { EclipseAttack } from './adversary.js';
import type { BenchArgs } from './commands.js';
import { DEFENCES, printGrinding, runGrinding } from './grinding.js';
import type { GrindingResult } from './grinding.js';
import { table } from './measure.js';
import { BenchError } from './report.js';

/** Options of {@link runAdversarial}. */
export interface AdversarialOptions {
  /** Nodes in all. @default 2000 */
  nodes?: number;
  /** Values stored per measurement. @default 100 */
  values?: number;
  /** Finds per value. @default 4 */
  findsPerValue?: number;
  /** Seed of the network. @default 1 */
  seed?: number;
  /** Kademlia k of every node (S/Kademlia pairs d = 4 with k = 16). @default 16 */
  bucketSize?: number;
  /** Progress lines go here. @default nothing */
  log?: (line: string) => void;
}

/** One row of the result: an attack, a number of paths, and what the finds achieved. */
export interface AdversarialRow extends FindRate {
  /** The attack the adversaries ran. */
  attack: EclipseAttack;
  /** Wall time of the measurement, in ms. */
  wallMs: number;
  /** CPU time of the measurement (user + system), in ms. */
  cpuMs: number;
}

/** Result of {@link runAdversarial}. */
export interface AdversarialResult {
  benchmark: 'adversarial';
  nodes: number;
  adversaries: number;
  bucketSize: number;
  /** Wall and CPU time to build and join the network, in ms. */
  buildWallMs: number;
  buildCpuMs: number;
  rows: AdversarialRow[];
}

/** Disjoint paths measured: a plain lookup, and S/Kademlia's d = 4 and 8. */
const PATHS = [1, 4, 8] as const;

/** Fraction of adversarial nodes (S/Kademlia's 20%). */
const ADVERSARY_FRACTION = 0.2;

/**
 * Builds the network and measures find success with d = 1, 4 and 8 under both attacks.
 * @throws {@link BenchError} when an option is out of range.
 */
export async function runAdversarial(options: AdversarialOptions = {}): Promise<AdversarialResult> {
  const nodes = options.nodes ?? 2_000;
  const values = options.values ?? 100;
  const findsPerValue = options.findsPerValue ?? 4;
  const bucketSize = options.bucketSize ?? 16;
  if (!Number.isInteger(nodes) || nodes < 20) throw new BenchError(`--nodes must be an integer >= 20, got ${nodes}`);
  if (!Number.isInteger(values) || values < 1) throw new BenchError(`--values must be an integer >= 1, got ${values}`);
  if (!Number.isInteger(findsPerValue) || findsPerValue < 1) throw new BenchError(`--lookups must be an integer >= 1, got ${findsPerValue}`);
  const log = options.log ?? ((): void => undefined);
  const started = Date.now();
  const cpu = process.cpuUsage();
  const net = await AdversarialNet.build(
    { nodes, adversaryFraction: ADVERSARY_FRACTION, seed: options.seed ?? 1, settings: { bucketSize } },
    (joined) => joined % 250 === 0 && log(`joined ${joined}/${nodes} (${Math.round((Date.now() - started) / 1_000)} s)`),
  );
  const used = process.cpuUsage(cpu);
  const result: AdversarialResult = {
    benchmark: 'adversarial',
    nodes,
    adversaries: net.adversaries.length,
    bucketSize,
    buildWallMs: Date.now() - started,
    buildCpuMs: Math.round((used.user + used.system) / 1_000),
    rows: [],
  };
  try {
    for (const attack of ['closest', 'fabricate'] as const) {
      net.coalition.attack = attack;
      for (const paths of PATHS) {
        const t = Date.now();
        const c = process.cpuUsage();
        const rate = await net.measure(paths, values, findsPerValue);
        const spent = process.cpuUsage(c);
        result.rows.push({ attack, ...rate, wallMs: Date.now() - t, cpuMs: Math.round((spent.user + spent.system) / 1_000) });
        log(`${attack} d=${paths}: ${(rate.rate * 100).toFixed(1)}% of ${rate.finds} finds`);
      }
    }
  } finally {
    await net.stop();
  }
  return result;
}

/** Prints the result as a table (rates in %). */
export function printAdversarial(result: AdversarialResult): void {
  console.log(`${result.nodes} nodes (${result.adversaries} adversaries), k=${result.bucketSize}, built in ${result.buildWallMs} ms (${result.buildCpuMs} ms CPU)`);
  const rows = result.rows.map((r) => ({ ...r, successPercent: Number((r.rate * 100).toFixed(2)) }));
  console.log(table(rows, ['attack', 'paths', 'finds', 'succeeded', 'successPercent', 'forgedReturned', 'valuesRejected', 'queriesPerFind', 'eclipsedFinds', 'wallMs', 'cpuMs']));
}

/** Options of the `adversarial` command beyond {@link BenchArgs}. */
export interface AdversarialArgs extends BenchArgs {
  /** `fraction` (20% adversaries), `grinding` (ground ids, bench/grinding.ts) or `all`. @default 'all' */
  readonly attack?: string | undefined;
  /** `grinding`: honest nodes. @default 1000 */
  readonly honest?: string | undefined;
  /** `grinding`: finders per measurement. @default 200 */
  readonly finders?: string | undefined;
  /** `grinding`: defence combinations, comma-separated (`none,caps,dense,both`). @default all four */
  readonly defences?: string | undefined;
  /** `grinding`: the finds use `findValues(key, { first: true })`. @default false */
  readonly first?: boolean | undefined;
}

/**
 * `adversarial` command: `--attack fraction|grinding|all` (default all); for `fraction`, `--nodes`,
 * `--values`, `--lookups` (finds per value) and `--seed`; for `grinding`, `--honest`, `--finders`, `--defences` and `--first`.
 * Runs, prints tables, returns both results.
 */
export async function benchAdversarial(args: AdversarialArgs): Promise<{ fraction?: AdversarialResult; grinding?: GrindingResult }> {
  const attack = args.attack ?? 'all';
  if (!['fraction', 'grinding', 'all'].includes(attack)) throw new BenchError(`--attack must be fraction, grinding or all, got ${JSON.stringify(attack)}`);
  const out: { fraction?: AdversarialResult; grinding?: GrindingResult } = {};
  if (attack !== 'grinding') out.fraction = await benchFraction(args);
  if (attack !== 'fraction') {
    const num = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));
    out.grinding = await runGrinding({
      honest: num(args.honest),
      finders: num(args.finders),
      defences: args.defences === undefined ? undefined : parseDefences(args.defences),
      seed: num(args.seed),
      first: args.first === true,
      log: args.quiet === true ? undefined : (line) => console.error(line),
    });
    printGrinding(out.grinding);
  }
  return out;
}

function parseDefences(list: string): Array<keyof typeof DEFENCES> {
  const names = list.split(',');
  for (const n of names) if (!(n in DEFENCES)) throw new BenchError(`--defences takes ${Object.keys(DEFENCES).join(', ')}, got ${JSON.stringify(n)}`);
  return names as Array<keyof typeof DEFENCES>;
}

/** The 20%-adversaries rows: parses `--nodes`, `--values`, `--lookups` and `--seed`, runs, prints. */
async function benchFraction(args: BenchArgs): Promise<AdversarialResult> {
  const num = (value: string | undefined, name: string): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new BenchError(`--${name} must be a number, got ${JSON.stringify(value)}`);
    return n;
  };
  const result = await runAdversarial({
    nodes: num(args.nodes, 'nodes'),
    values: num(args.values, 'values'),
    findsPerValue: num(args.lookups, 'lookups'),
    seed: num(args.seed, 'seed'),
    log: args.quiet === true ? undefined : (line) => console.error(line),
  });
  printAdversarial(result);
  return result;
}

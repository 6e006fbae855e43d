/**
 * Benchmark entry point: `npm run bench -- <name> [options] [--json FILE]`.
 * Each benchmark prints a table to stdout and writes JSON to FILE (or prints it after the table).
 * Progress goes to stderr.
 *
 * - `micro [--duration MS]`: crypto and wire throughput.
 * - `loopback [--nodes N] [--keys K] [--rounds R]`: N nodes on 127.0.0.1 UDP (see {@link runLoopback}).
 * - `simulate [--nodes N] [--lookups L] [--rtt-ms A..B] [--churn RATE --hours H] [--seed S]`: the
 *   in-memory network on simulated time (see {@link runSimulate}).
 * - `libp2p [--nodes N] [--gets G]`: js-libp2p kad-dht vs Peerlay, same put/get scenario (see {@link runLibp2pComparison}).
 * - `adversarial [--nodes N] [--values V] [--lookups F]`: 20% adversaries, find success with 1, 4 and 8 disjoint
 *   paths (see {@link runAdversarial}).
 * - `serve [--clients C] [--duration MS] [--rates R1,R2] [--kinds K1,K2]`: requests one node answers per second on one
 *   core (see {@link runServe}).
 * - `bulk [--nodes N] [--keys K] [--seed S]`: `storeMany`/`findMany` against the same calls one by one (see {@link measureBulk}).
 * - `find-many [--nodes N] [--keys K] [--seed S]`: `findMany` with multi-key find requests, with one key a request, and single
 *   finds (see {@link measureFindMany}).
 * - `all`: micro + loopback (N=50) + a small simulate.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchLibp2p, benchLoopback, benchMicro, benchSimulate } from './commands.js';
import type { BenchArgs } from './commands.js';
import { benchAdversarial } from './adversarial.js';
import { benchBulk } from './bulk.js';
import { benchFindMany } from './find-many.js';
import { benchServe } from './serve.js';

const USAGE = `usage: npm run bench -- <micro|loopback|simulate|libp2p|adversarial|serve|all> [options] [--json FILE]
  micro     [--duration MS]
  loopback  [--nodes 50] [--keys 20] [--rounds 2] [--settle MS]
  simulate  [--nodes 1000] [--lookups 1000] [--rtt-ms 20..200] [--values 100] [--churn RATE --hours 4] [--seed 1] [--wide W] [--rtt-slack B] [--latency per-packet|per-node]
  libp2p    [--nodes 20] [--keys 5] [--gets 100]
  adversarial [--attack fraction|grinding|all] [--nodes 2000] [--values 100] [--lookups 4] [--seed 1]   (k=16, d=1,4,8)
              [--honest 1000] [--finders 200] [--defences none,caps,dense,both] [--first]   (grinding: ground ids next to keys, k=8, d=1,4)
  serve     [--clients 32] [--duration 2000] [--rates 5000,10000,...] [--kinds find-tagged,find-signed,ping-tagged,echo-floor]
  bulk      [--nodes 200] [--keys 100] [--seed 1]   (storeMany/findMany vs one by one)
  find-many [--nodes 100] [--keys 50] [--seed 1]    (findMany: multi-key requests vs one key a request vs single finds)
  all       micro + loopback (N=50) + simulate (N=300, L=200)`;

const OPTIONS = {
  json: { type: 'string' },
  duration: { type: 'string' },
  nodes: { type: 'string' },
  keys: { type: 'string' },
  rounds: { type: 'string' },
  settle: { type: 'string' },
  lookups: { type: 'string' },
  values: { type: 'string' },
  'rtt-ms': { type: 'string' },
  wide: { type: 'string' },
  'rtt-slack': { type: 'string' },
  latency: { type: 'string' },
  churn: { type: 'string' },
  hours: { type: 'string' },
  seed: { type: 'string' },
  gets: { type: 'string' },
  clients: { type: 'string' },
  rates: { type: 'string' },
  kinds: { type: 'string' },
  attack: { type: 'string' },
  honest: { type: 'string' },
  finders: { type: 'string' },
  defences: { type: 'string' },
  first: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const which = positionals[0];
  if (values.help === true || which === undefined) {
    console.log(USAGE);
    return which === undefined && values.help !== true ? 2 : 0;
  }
  const args: BenchArgs = values;
  let output: unknown;
  switch (which) {
    case 'micro':
      output = await benchMicro(args);
      break;
    case 'loopback':
      output = await benchLoopback(args);
      break;
    case 'simulate':
      output = await benchSimulate(args);
      break;
    case 'libp2p':
      output = await benchLibp2p(args);
      break;
    case 'adversarial':
      output = await benchAdversarial(values);
      break;
    case 'bulk':
      output = await benchBulk(args);
      break;
    case 'find-many':
      output = await benchFindMany(args);
      break;
    case 'serve':
      output = await benchServe(values);
      break;
    case 'all':
      output = {
        micro: await benchMicro(args),
        loopback: await benchLoopback({ quiet: args.quiet, nodes: '50', keys: '20' }),
        simulate: await benchSimulate({ quiet: args.quiet, nodes: '300', lookups: '200', seed: args.seed }),
      };
      break;
    default:
      console.error(`unknown benchmark ${JSON.stringify(which)}\n${USAGE}`);
      return 2;
  }
  const json = JSON.stringify(output, null, 2);
  if (values.json !== undefined) writeFileSync(values.json, json + '\n');
  else console.log(json);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

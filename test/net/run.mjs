#!/usr/bin/env node
// `npm run test:net [-- --case a,b] [--tries N] [--concurrency N] [--join-nodes N] [--json FILE] [--no-build]`:
// Peerlay over real UDP between network namespaces, with home routers doing nftables source NAT (cone and
// symmetric) and random loss on the "internet" bridge (issue #17). Every node is a separate `peerlay node`
// process. Prints a table of rates and latencies, writes the tries to test-output/net/last.json, and ends
// with "net: N passed, N failed" (one per case).
//
// Needs root, `ip` (iproute2) and `nft` (nftables; installed with apt-get when missing). Uses only
// addresses inside the `plnet-*` namespaces it creates (198.18.0.0/15 and 10.x.0.0/24) and removes them at
// the end, when a case fails and on SIGINT/SIGTERM; namespaces left by a crashed run are removed at start.
// Exit status: 0 every target met, 1 a target missed or the suite broke, 77 skipped (not root, no ip/nft).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES, selectCases, JOIN_NODES } from './cases.mjs';
import { formatTable } from './stats.mjs';
import { describeTarget, startNetwork, stopNetwork } from './network.mjs';
import { Agent, build, lossCounter, setLoss, teardown } from './topology.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
let CLI = join(ROOT, 'dist/cli/main.js');
const EXIT_SKIPPED = 77;
/** The whole suite stops starting cases after this, in ms (each case is bounded too). */
const SUITE_LIMIT_MS = 13 * 60_000;
/** Most wall time of one case's tries, in ms. */
const CASE_LIMIT_MS = 150_000;
const PUBLICS = 6;
const ECHO_PORT = 9999;

const HELP = `npm run test:net [-- options]
  --case a,b        run only these cases (${CASES.map((c) => c.name).join(', ')})
  --tries N         tries per connect case (default 20; targets scale with it)
  --concurrency N   tries at once (default 2; 4 raised connect latencies, see docs/networking.md)
  --join-nodes N    fresh nodes of join-20 (default ${JOIN_NODES})
  --json FILE       where to write the results (default test-output/net/last.json)
  --no-build        do not rebuild dist/ even when it is older than the sources
  --shared-network  one set of public nodes and targets for every case (faster; later cases then meet the
                    stopped requesters of earlier ones in routing tables)
  --no-firewall     routers without their input firewall (bare masquerade: see docs/networking.md)
  --verbose         run requesters with --verbose and keep a failed try's log in the JSON file
  --cli FILE        run this build's CLI instead of dist/cli/main.js (e.g. another checkout's; no rebuild)
Needs root; exit 0 all targets met, 1 not, 77 skipped.`;

function parseArgs(argv) {
  const o = { cases: undefined, tries: 20, concurrency: 2, joinNodes: JOIN_NODES, json: join(ROOT, 'test-output/net/last.json'), build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (name) => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`${name} needs a whole number from 1 to 1000`);
      return n;
    };
    if (a === '--case' || a === '--cases') o.cases = String(argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--tries') o.tries = num(a);
    else if (a === '--concurrency') o.concurrency = num(a);
    else if (a === '--join-nodes') o.joinNodes = num(a);
    else if (a === '--json') o.json = resolve(argv[++i]);
    else if (a === '--no-build') o.build = false;
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--no-firewall') o.firewall = false;
    else if (a === '--shared-network') o.sharedNetwork = true;
    else if (a === '--cli') o.cli = resolve(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  return o;
}

function skip(reason) {
  console.log(`net: skipped: ${reason}`);
  process.exit(EXIT_SKIPPED);
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Root, `ip` and `nft` (installed from Debian when missing), and namespaces that work; else skip. */
function preflight() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) skip('needs root (network namespaces and nftables)');
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['nft', 'nftables']]) {
    if (has(cmd)) continue;
    console.log(`== installing ${pkg} (no ${cmd})`);
    spawnSync('sh', ['-c', `{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}; } >/dev/null 2>&1`], { stdio: 'inherit', timeout: 300_000 });
    if (!has(cmd)) skip(`${cmd} is missing and ${pkg} could not be installed`);
  }
  const probe = spawnSync('ip', ['netns', 'add', 'plnet-check'], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', 'plnet-check']);
  if (probe.status !== 0) skip(`cannot create a network namespace: ${probe.stderr.trim()}`);
}

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than a source file. */
function ensureBuilt(allowed) {
  const built = existsSync(CLI) ? statSync(CLI).mtimeMs : 0;
  const sources = Math.max(...['framework', 'communities', 'cli'].map((d) => newestMtime(join(ROOT, d))));
  if (built >= sources) return 'up to date';
  if (!allowed) return existsSync(CLI) ? 'older than the sources (--no-build)' : 'missing';
  console.log('== npm run build (dist/ is missing or older than the sources)');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
  if (r.status === 0) return 'rebuilt';
  if (!existsSync(CLI)) throw new Error('npm run build failed and there is no dist/ to run');
  console.log('!! npm run build reported errors: running what it emitted in dist/');
  return 'build with type errors';
}

/** What the CLI offers that the suite uses when present. */
function features() {
  const help = spawnSync(process.execPath, [CLI, 'node', '--help'], { encoding: 'utf8' }).stdout ?? '';
  return { relay: help.includes('--relay') };
}

function gitCommit() {
  const r = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout?.trim();
  return `${(r.stdout ?? '').trim() || 'unknown'}${dirty ? ' (+ uncommitted changes)' : ''}`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cases = selectCases(opts.cases);
  preflight();
  if (opts.cli !== undefined) {
    if (!existsSync(opts.cli)) throw new Error(`--cli ${opts.cli} does not exist`);
    CLI = opts.cli;
    process.env.PLNET_CLI = CLI;
  }
  const buildState = opts.cli === undefined ? ensureBuilt(opts.build) : `given (${CLI})`;
  const feat = features();
  const startedAt = new Date();
  const t0 = performance.now();
  const agents = new Map();
  const ctx = {
    tries: opts.tries,
    concurrency: opts.concurrency,
    joinNodes: opts.joinNodes,
    caseLimitMs: CASE_LIMIT_MS,
    runId: startedAt.getTime().toString(36),
    nodeFlags: [],
    verbose: opts.verbose === true,
    saved: {},
    stopping: false,
    agent: (ns) => {
      if (!agents.has(ns)) agents.set(ns, new Agent(ns));
      return agents.get(ns);
    },
  };
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      ctx.stopping = true;
      await Promise.race([Promise.all([...agents.values()].map((a) => a.close().catch(() => {}))), new Promise((r) => setTimeout(r, 8_000))]);
      const n = teardown();
      console.log(`== removed ${n} namespaces and their processes`);
    })());
  const onSignal = (sig) => {
    console.log(`\n== ${sig}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const stale = teardown();
  if (stale > 0) console.log(`== removed ${stale} plnet- namespaces left by an earlier run`);
  const results = { startedAt: startedAt.toISOString(), commit: opts.cli === undefined ? gitCommit() : `see --cli ${opts.cli}`, dist: buildState, cpus: cpus().length, loadBefore: loadavg().map((l) => l.toFixed(2)), options: { ...opts, json: undefined }, features: {}, setup: {}, cases: [] };
  const summaries = [];
  try {
    console.log('== topology');
    const topo = build({
      publics: PUBLICS + 1,
      routers: [
        { name: 'A', nat: 'cone', hosts: 2 },
        { name: 'B', nat: 'cone', hosts: 1 },
        { name: 'S', nat: 'symmetric', hosts: 1 },
        { name: 'T', nat: 'symmetric', hosts: 1 },
      ].map((r) => ({ ...r, firewall: opts.firewall !== false })),
    });
    topo.client = topo.publics.pop(); // a public host with no long-lived node: the requesters of public-nat-20
    ctx.topo = topo;
    for (const p of topo.publics) console.log(`   ${p.ns.padEnd(12)} ${p.ip}   public node`);
    console.log(`   ${topo.client.ns.padEnd(12)} ${topo.client.ip}   public host for fresh requesters`);
    if (opts.firewall === false) console.log('   routers WITHOUT their input firewall (--no-firewall)');
    for (const [name, r] of Object.entries(topo.routers)) console.log(`   ${r.ns.padEnd(12)} ${r.wan}  ${r.nat} NAT, hosts ${r.hosts.map((h) => `${h.ns} ${h.ip}`).join(', ')}`);
    setLoss(0);

    // NAT check: one socket behind each router asks two public echo servers which address they saw.
    const echoTargets = topo.publics.slice(0, 2).map((p) => `${p.ip}:${ECHO_PORT}`);
    await Promise.all(topo.publics.slice(0, 2).map((p) => ctx.agent(p.ns).call('echo', { host: p.ip, port: ECHO_PORT })));
    for (const [name, r] of Object.entries(topo.routers)) {
      const h = r.hosts[0];
      const { seen } = await ctx.agent(h.ns).call('probe', { host: h.ip, port: 45000, targets: echoTargets });
      const mapped = Object.values(seen);
      const ports = new Set(mapped.map((a) => a.split(':')[1]));
      const ok = mapped.length === 2 && (r.nat === 'cone' ? ports.size === 1 : ports.size === 2);
      results.setup[`nat-${name}`] = { nat: r.nat, mapped, ok };
      console.log(`   NAT check ${name} (${r.nat}): one socket seen as ${mapped.join(' and ') || 'nothing'}: ${ok ? 'as expected' : 'NOT as expected'}`);
      if (!ok) throw new Error(`router ${name} does not behave as a ${r.nat} NAT`);
    }

    console.log(`== nodes (dist ${buildState}; ${feat.relay ? 'public nodes run with --relay' : '`peerlay node --help` has no --relay: public nodes run without a relay'})`);
    if (feat.relay) results.features.relay = true;
    let network = 0;
    // With --verbose, the targets' logs of each network go to the JSON file.
    const saveTargetLogs = async () => {
      if (!ctx.verbose || ctx.targets === undefined) return;
      for (const [name, t] of Object.entries(ctx.targets)) results.setup[`network-${network}`][name].log = (await ctx.agent(t.ns).call('stderrTail', { node: t.node, chars: 200_000 })).stderr;
    };
    const freshNetwork = async () => {
      await saveTargetLogs();
      if (network > 0) await stopNetwork(ctx);
      setLoss(0);
      const seen = await startNetwork(ctx, { relay: feat.relay });
      network++;
      results.setup[`network-${network}`] = seen;
      return seen;
    };
    for (const [name, t] of Object.entries(await freshNetwork())) console.log(`   ${describeTarget(name, t)}`);
    if (opts.sharedNetwork) console.log('   one network for every case (--shared-network)');

    let firstCase = true;
    for (const c of cases) {
      if (performance.now() - t0 > SUITE_LIMIT_MS) {
        summaries.push({ case: c.name, successes: 0, tries: 0, medianMs: null, p90Ms: null, paths: '-', target: 'not run: suite time limit', pass: false });
        continue;
      }
      console.log(`== ${c.name}: ${c.describe}`);
      const tc = performance.now();
      if (!opts.sharedNetwork && c.needs === undefined && network > 0 && !firstCase) {
        const seen = await freshNetwork();
        const lost = Object.entries(seen).filter(([, t]) => t.foundByPublicMs === null);
        console.log(`   a new network (${Math.round((performance.now() - tc) / 1000)} s)${lost.map(([n]) => `; target ${n} NOT found by a public node`).join('')}`);
      }
      firstCase = false;
      setLoss(c.loss);
      const { tries, summary } = await c.run(ctx);
      const dropped = lossCounter();
      summary.loss = c.loss;
      summary.seconds = Math.round((performance.now() - tc) / 1000);
      summaries.push(summary);
      results.cases.push({ ...summary, describe: c.describe, framesDropped: dropped, tries });
      const reasons = new Map();
      for (const t of tries) if (!t.success && t.reason) reasons.set(t.reason, (reasons.get(t.reason) ?? 0) + 1);
      console.log(`   ${summary.successes}/${summary.tries}, median ${summary.medianMs ?? '-'} ms, p90 ${summary.p90Ms ?? '-'} ms, paths ${summary.paths}, ${summary.seconds} s${c.loss > 0 ? `, ${dropped} frames dropped` : ''}: ${summary.pass ? 'pass' : 'FAIL'}`);
      for (const [r, n] of reasons) console.log(`   failed ${n}x: ${r}`);
    }
    await saveTargetLogs();
    if (!summaries.some((s) => s.paths !== '-')) console.log('== no connect answer carried a `path` field (path reporting not in this build)');
  } catch (error) {
    console.log(`!! the suite broke: ${error.stack ?? error}`);
    summaries.push({ case: 'setup', successes: 0, tries: 0, medianMs: null, p90Ms: null, paths: '-', target: String(error.message ?? error).slice(0, 80), pass: false });
  } finally {
    await cleanup();
  }
  results.loadAfter = loadavg().map((l) => l.toFixed(2));
  results.seconds = Math.round((performance.now() - t0) / 1000);
  results.summaries = summaries;
  mkdirSync(dirname(opts.json), { recursive: true });
  writeFileSync(opts.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${formatTable(summaries)}\n`);
  console.log(`commit ${results.commit}, ${results.cpus} cpus, load ${results.loadBefore.join(' ')} before, ${results.loadAfter.join(' ')} after, ${results.seconds} s; tries in ${opts.json}`);
  const passed = summaries.filter((s) => s.pass).length;
  console.log(`net: ${passed} passed, ${summaries.length - passed} failed`);
  return summaries.length > 0 && passed === summaries.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.log(`net: error: ${error.message ?? error}`);
    process.exit(1);
  },
);

#!/usr/bin/env node
// `npm run interop [-- --py-ipv8 PATH] [--json FILE]`: runs Peerlay's interop checks against real
// py-ipv8 3.2 (test/interop/ipv8.interop.ts, with py-ipv8 nodes from test/interop/ipv8_harness.py), all
// on 127.0.0.1, then prints a table and "interop: N passed, N failed".
//
// PATH (or the environment variable PEERLAY_PY_IPV8) is py-ipv8 3.2's source: a directory holding `ipv8/`
// (a clone of https://github.com/Tribler/py-ipv8 at tag 3.2) or its release archive py-ipv8-3.2.tar.gz.
// Python: /usr/bin/python3 (Debian's, with python3-libnacl and friends), or PEERLAY_PYTHON.
// Exit status: 0 when every check passed, 1 when one failed, 2 when py-ipv8 or Python is missing.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const HOW_TO_GET = `py-ipv8 3.2 is needed. Give its source with --py-ipv8 PATH or PEERLAY_PY_IPV8=PATH, where PATH is either
  - a clone:   git clone --depth 1 --branch 3.2 https://github.com/Tribler/py-ipv8 /tmp/py-ipv8-3.2
  - or its release archive (py-ipv8-3.2.tar.gz from https://github.com/Tribler/py-ipv8/releases/tag/3.2)
and install its Debian dependencies:
  apt-get install -y python3-libnacl python3-cryptography python3-aiohttp python3-aiohttp-apispec \\
    python3-marshmallow python3-apispec python3-openssl python3-pyasn1 python3-typing-extensions \\
    python3-packaging python3-netifaces
Then: npm run interop -- --py-ipv8 /tmp/py-ipv8-3.2`;

function parseArgs(argv) {
  const out = { pyIpv8: process.env.PEERLAY_PY_IPV8, json: process.env.PEERLAY_INTEROP_REPORT };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--py-ipv8') out.pyIpv8 = argv[++i];
    else if (a.startsWith('--py-ipv8=')) out.pyIpv8 = a.slice('--py-ipv8='.length);
    else if (a === '--json') out.json = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log(HOW_TO_GET);
      process.exit(0);
    } else {
      console.error(`unknown option ${a}`);
      process.exit(2);
    }
  }
  return out;
}

/** The directory holding `ipv8/`: PATH itself, its only subdirectory, or the archive extracted. */
function sourceDir(path, cleanups) {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`${full} does not exist`);
  let dir = full;
  if (statSync(full).isFile()) {
    dir = mkdtempSync(join(tmpdir(), 'peerlay-py-ipv8-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const tar = spawnSync('tar', ['xzf', full, '-C', dir], { stdio: 'inherit' });
    if (tar.status !== 0) throw new Error(`cannot extract ${full}`);
  }
  if (existsSync(join(dir, 'ipv8', 'dht', 'discovery.py'))) return dir;
  for (const e of readdirSync(dir)) {
    if (existsSync(join(dir, e, 'ipv8', 'dht', 'discovery.py'))) return join(dir, e);
  }
  throw new Error(`${full} holds no py-ipv8 source (no ipv8/dht/discovery.py)`);
}

function table(report) {
  const rows = [['check', 'attempts', 'success', 'median ms', 'p95 ms']];
  for (const c of report.checks) {
    rows.push([c.check, String(c.attempts), `${c.successPercent} %`, c.medianMs === null ? '-' : String(c.medianMs), c.p95Ms === null ? '-' : String(c.p95Ms)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args.pyIpv8) {
    console.error(`No py-ipv8 source given.\n${HOW_TO_GET}`);
    return 2;
  }
  const cleanups = [];
  try {
    let dir;
    try {
      dir = sourceDir(args.pyIpv8, cleanups);
    } catch (e) {
      console.error(`${e.message}\n${HOW_TO_GET}`);
      return 2;
    }
    const python = process.env.PEERLAY_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
    const probe = spawnSync(python, ['-c', 'import libnacl, cryptography, ipv8.dht.discovery'], { env: { ...process.env, PYTHONPATH: dir }, encoding: 'utf8' });
    if (probe.status !== 0) {
      console.error(`${python} cannot import py-ipv8 from ${dir}:\n${probe.stderr ?? probe.error}\n${HOW_TO_GET}`);
      return 2;
    }
    const report = resolve(args.json ?? join(ROOT, 'test-output', 'interop', 'ipv8-interop.json'));
    const vitestReport = `${report}.vitest.json`;
    rmSync(report, { force: true });
    rmSync(vitestReport, { force: true });
    const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const child = spawn(process.execPath, [vitest, 'run', '--config', 'test/interop/vitest.interop.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, PEERLAY_PY_IPV8_DIR: dir, PEERLAY_PYTHON: python, PEERLAY_INTEROP_REPORT: report },
    });
    const stop = () => child.kill('SIGTERM');
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // The whole run is bounded: 25 minutes, then the checks are stopped and count as failed.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 25 * 60_000);
    const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
    clearTimeout(deadline);
    let passed = 0;
    let failed = 0;
    if (existsSync(vitestReport)) {
      const v = JSON.parse(readFileSync(vitestReport, 'utf8'));
      passed = v.numPassedTests ?? 0;
      failed = (v.numFailedTests ?? 0) + (v.numTotalTests ?? 0) - (v.numPassedTests ?? 0) - (v.numFailedTests ?? 0);
    }
    if (code !== 0 && failed === 0) failed = 1;
    if (existsSync(report)) {
      const r = JSON.parse(readFileSync(report, 'utf8'));
      console.log(`\npy-ipv8 interop (${r.mixedNodesEach} + ${r.mixedNodesEach} nodes in the mixed network), report ${report}\n`);
      console.log(table(r));
      for (const c of r.checks) for (const n of c.notes) console.log(`  ${c.check}: ${n}`);
    }
    console.log(`interop: ${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  } finally {
    for (const f of cleanups) f();
  }
}

process.exitCode = await main();

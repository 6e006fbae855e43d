// The topology of `npm run test:net`: network namespaces named `plnet-*`, veth pairs, one bridge as
// "the internet", public hosts, home routers doing nftables source NAT, hosts behind them, and random loss
// on the bridge. Every address lives inside these namespaces; nothing is added to the root namespace.
//
//   plnet-inet        bridge br0 (the internet), nftables bridge table `plnet` dropping N % of forwarded frames
//   plnet-pub1..N     one public host each, 198.18.<i>.10/15 (a different /24 each, all on-link)
//   plnet-rtr<X>      home router: wan 198.18.<100+k>.1/15, LAN bridge lan 10.<k>.0.1/24, ip_forward=1,
//                     nftables `masquerade` (cone) or `masquerade random` (symmetric), no hairpin,
//                     input from wan dropped (a home router's firewall; off with firewall: false)
//   plnet-h<X><j>     host behind router X: 10.<k>.0.<j+10>/24, default route via 10.<k>.0.1
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Prefix of every namespace the suite creates. */
export const PREFIX = 'plnet-';
const INET = `${PREFIX}inet`;
const AGENT = resolve(fileURLToPath(new URL('.', import.meta.url)), 'agent.mjs');
const AGENT_REPLY_SLACK_MS = 30_000;

/** Runs a command; throws with its stderr when it fails. */
export function sh(cmd, args, { input, allowFail = false } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 20_000 });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  return r;
}

const inNs = (ns, cmd, args, opts) => sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);

/** The `plnet-` namespaces that exist now. */
export function listNamespaces() {
  const r = sh('ip', ['netns', 'list'], { allowFail: true });
  return (r.stdout || '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n && n.startsWith(PREFIX));
}

/** Kills every process in the suite's namespaces (all started by the suite) and deletes the namespaces. */
export function teardown() {
  const names = listNamespaces();
  for (const ns of names) {
    const pids = (sh('ip', ['netns', 'pids', ns], { allowFail: true }).stdout || '').split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const ns of names) sh('ip', ['netns', 'del', ns], { allowFail: true });
  return names.length;
}

/** Sets the loss on the internet bridge to `percent` % of forwarded frames (0 removes the rule). */
export function setLoss(percent) {
  const rules = [`flush chain bridge plnet loss`];
  if (percent > 0) rules.push(`add rule bridge plnet loss numgen random mod 100 < ${percent} counter drop`);
  inNs(INET, 'nft', ['-f', '-'], { input: `${rules.join('\n')}\n` });
}

/** Counters of the loss rule: how many frames it dropped since it was last set. */
export function lossCounter() {
  const r = inNs(INET, 'nft', ['list', 'chain', 'bridge', 'plnet', 'loss'], { allowFail: true });
  const m = /counter packets (\d+)/.exec(r.stdout || '');
  return m ? Number(m[1]) : 0;
}

let vethSeq = 0;
/** A veth pair from namespace `a` (name `an`) to namespace `b` (name `bn`). */
function veth(a, an, b, bn) {
  const tmp = `plv${vethSeq++}`;
  inNs(a, 'ip', ['link', 'add', an, 'type', 'veth', 'peer', 'name', tmp]);
  inNs(a, 'ip', ['link', 'set', tmp, 'netns', b]);
  inNs(b, 'ip', ['link', 'set', tmp, 'name', bn]);
}

function up(ns, dev, cidr) {
  if (cidr) inNs(ns, 'ip', ['addr', 'add', cidr, 'dev', dev]);
  inNs(ns, 'ip', ['link', 'set', dev, 'up']);
}

function newNs(ns) {
  sh('ip', ['netns', 'add', ns]);
  inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
}

/**
 * Builds the topology.
 * @param {{ publics: number, routers: Array<{ name: string, nat: 'cone' | 'symmetric', hosts: number, firewall?: boolean }> }} spec
 * @returns the namespaces and addresses: `{ publics: [{ ns, ip }], routers: { X: { ns, wan, nat, hosts: [{ ns, ip }] } } }`
 */
export function build(spec) {
  newNs(INET);
  inNs(INET, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
  up(INET, 'br0');
  inNs(INET, 'nft', ['-f', '-'], { input: 'table bridge plnet {\n chain loss { type filter hook forward priority 0; policy accept; }\n}\n' });
  const attach = (ns, port, cidr) => {
    veth(INET, port, ns, 'wan');
    inNs(INET, 'ip', ['link', 'set', port, 'master', 'br0']);
    up(INET, port);
    up(ns, 'wan', cidr);
  };
  const topo = { publics: [], routers: {} };
  for (let i = 1; i <= spec.publics; i++) {
    const ns = `${PREFIX}pub${i}`;
    newNs(ns);
    attach(ns, `pub${i}`, `198.18.${i}.10/15`);
    topo.publics.push({ ns, ip: `198.18.${i}.10` });
  }
  spec.routers.forEach((r, k0) => {
    const k = k0 + 1;
    const ns = `${PREFIX}rtr${r.name}`;
    const wan = `198.18.${100 + k}.1`;
    newNs(ns);
    attach(ns, `rtr${r.name}`, `${wan}/15`);
    inNs(ns, 'ip', ['link', 'add', 'lan', 'type', 'bridge']);
    up(ns, 'lan', `10.${k}.0.1/24`);
    inNs(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    const masq = r.nat === 'symmetric' ? 'masquerade random' : 'masquerade';
    // Like a home router's firewall (OpenWrt's wan zone: input reject), packets from the internet to the
    // router itself are dropped before conntrack confirms them. Without it, an unsolicited packet to the
    // mapped port leaves a conntrack entry whose tuple later forces masquerade to pick another port for
    // that destination, so even the cone router would map per destination (spec.firewall === false).
    const input = r.firewall === false ? '' : ' chain input { type filter hook input priority filter; policy accept; iifname "wan" drop; }\n';
    inNs(ns, 'nft', ['-f', '-'], {
      input: `table ip plnet {\n chain postnat { type nat hook postrouting priority srcnat; policy accept; oifname "wan" ${masq}; }\n${input}}\n`,
    });
    const hosts = [];
    for (let j = 1; j <= r.hosts; j++) {
      const hns = `${PREFIX}h${r.name}${j}`;
      const ip = `10.${k}.0.${10 + j}`;
      newNs(hns);
      veth(ns, `h${j}`, hns, 'eth0');
      inNs(ns, 'ip', ['link', 'set', `h${j}`, 'master', 'lan']);
      up(ns, `h${j}`);
      up(hns, 'eth0', `${ip}/24`);
      inNs(hns, 'ip', ['route', 'add', 'default', 'via', `10.${k}.0.1`]);
      hosts.push({ ns: hns, ip });
    }
    topo.routers[r.name] = { ns, wan, nat: r.nat, hosts };
  });
  return topo;
}

/** The runner's side of one namespace's agent (test/net/agent.mjs): `call(op, args)` resolves its result. */
export class Agent {
  /** @param {string} ns */
  constructor(ns) {
    this.ns = ns;
    this.seq = 1;
    this.pending = new Map();
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, AGENT], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.ready = new Promise((res, rej) => {
      this.pending.set(0, { res, rej });
      this.child.once('exit', (code) => {
        for (const p of this.pending.values()) p.rej(new Error(`agent of ${ns} exited (${code})`));
        this.pending.clear();
      });
    });
    this.ready.catch(() => {});
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      const p = this.pending.get(msg.id);
      if (p === undefined) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.res(msg.result);
      else p.rej(new Error(`${ns}: ${msg.error}`));
    });
  }

  /** Sends one request; rejects when the agent does not answer within the op's own bound plus slack. */
  call(op, args = {}) {
    const id = this.seq++;
    const bound = (args.timeoutMs ?? 20_000) + AGENT_REPLY_SLACK_MS;
    return new Promise((res, rej) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        rej(new Error(`${this.ns}: ${op} got no answer within ${bound} ms`));
      }, bound);
      this.pending.set(id, {
        res: (v) => (clearTimeout(timer), res(v)),
        rej: (e) => (clearTimeout(timer), rej(e)),
      });
      this.child.stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  /** Asks the agent to stop its nodes and exit; kills it if it has not after 5 s. */
  async close() {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end(`${JSON.stringify({ id: -1, op: 'exit' })}\n`);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  }
}

// The long-lived nodes of `npm run test:net`: the public nodes (the network fresh nodes join through) and
// the two NATed targets. By default every case gets a new set (new identities, empty routing tables), so
// one case's hundreds of stopped requesters do not sit in the next case's routing tables.

const UDP_PORT = 8090;
const READY_MS = 15_000;

/**
 * Starts the public nodes (pub1 alone, the others through pub1 and pub2), waits for their contacts, then the
 * targets `coneA` (behind cone router A) and `symS` (behind symmetric router S), and waits until a public
 * node finds each (at most 3 tries of 10 s). Sets `ctx.publicNodes`, `ctx.bootstrap` and `ctx.targets`.
 * @returns what it saw of the targets: `{ coneA: { ns, mid, address, foundByPublicMs, nat }, symS: ... }`.
 */
export async function startNetwork(ctx, { relay }) {
  const publicNodes = [];
  for (const [i, p] of ctx.topo.publics.entries()) {
    const boot = i === 0 ? [] : ['--bootstrap', publicNodes.slice(0, 2).map((n) => n.address).join(',')];
    const started = await ctx.agent(p.ns).call('start', { args: ['--host', p.ip, '--port', String(UDP_PORT), ...boot, ...(relay ? ['--relay'] : [])] });
    publicNodes.push({ ...p, ...started });
  }
  ctx.publicNodes = publicNodes;
  ctx.bootstrap = publicNodes.slice(0, 2).map((n) => n.address).join(',');
  for (const n of publicNodes.slice(1)) {
    const j = await ctx.agent(n.ns).call('waitContacts', { node: n.node, timeoutMs: READY_MS });
    if (j.ms === null) throw new Error(`public node in ${n.ns} has no contacts after ${READY_MS / 1000} s`);
  }
  const target = async (host) => {
    const started = await ctx.agent(host.ns).call('start', { args: ['--host', host.ip, '--port', String(UDP_PORT), '--bootstrap', ctx.bootstrap, ...(ctx.verbose ? ['--verbose'] : [])] });
    const j = await ctx.agent(host.ns).call('waitContacts', { node: started.node, timeoutMs: READY_MS });
    if (j.ms === null) throw new Error(`target in ${host.ns} has no contacts after ${READY_MS / 1000} s`);
    return { ...host, ...started };
  };
  ctx.targets = { coneA: await target(ctx.topo.routers.A.hosts[0]), symS: await target(ctx.topo.routers.S.hosts[0]) };
  const seen = {};
  const finder = publicNodes[2];
  for (const [name, t] of Object.entries(ctx.targets)) {
    let found = null;
    for (let i = 0; i < 3 && found === null; i++) {
      const r = await ctx.agent(finder.ns).call('http', { node: finder.node, path: `/dht/peers/${t.mid}?timeoutMs=10000`, timeoutMs: 10_000 });
      if (r.status === 200 && r.body.peers?.some((p) => p.mid === t.mid)) found = r.ms;
    }
    const nat = (await ctx.agent(t.ns).call('http', { node: t.node, path: '/health' })).body?.nat;
    seen[name] = { ns: t.ns, mid: t.mid, address: t.address, foundByPublicMs: found, nat: nat ?? null };
  }
  return seen;
}

/** Stops the public nodes and the targets (each within the agent's 3 s before a kill). */
export async function stopNetwork(ctx) {
  const nodes = [...(ctx.publicNodes ?? []), ...Object.values(ctx.targets ?? {})];
  await Promise.all(nodes.map((n) => ctx.agent(n.ns).call('stop', { node: n.node }).catch(() => {})));
  ctx.publicNodes = undefined;
  ctx.targets = undefined;
}

/** One line about a target as `startNetwork` saw it. */
export function describeTarget(name, t) {
  const nat = t.nat === null ? 'absent (not reported by this build)' : `${t.nat.mapping} ${t.nat.publicAddress ?? t.nat.publicHost ?? '-'}`;
  const found = t.foundByPublicMs === null ? 'NOT found by a public node within 3 tries' : `found by a public node in ${t.foundByPublicMs} ms`;
  return `target ${name} ${t.ns} ${t.address} mid ${t.mid.slice(0, 12)}: ${found}; /health nat: ${nat}`;
}

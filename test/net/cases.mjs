// The cases of `npm run test:net` and the tries they are made of. Each case returns a summary (stats.mjs).
// A try that connects: a NEW `peerlay node` process (fresh identity) in the requester's namespace, joined
// (GET /health until contacts > 0, at most JOIN_LIMIT_MS), then GET /dht/peers/<target mid>.
import { pool, scaledMin, summarize } from './stats.mjs';

/** How long a fresh node may take to get its first contact, in ms (the join target). */
export const JOIN_LIMIT_MS = 10_000;
/** The `timeoutMs` a connect asks for (the discovery community's default). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Fresh nodes of the join case (the 60). */
export const JOIN_NODES = 60;

/** The path a connect answer reports, if any: a `path` field of the answer or of the found peer. */
function pathOf(body, mid) {
  if (body === null || typeof body !== 'object') return undefined;
  const peer = Array.isArray(body.peers) ? body.peers.find((p) => p.mid === mid) : undefined;
  const path = peer?.path ?? body.path;
  if (path === undefined || path === null) return undefined;
  return typeof path === 'string' ? path : (path.kind ?? path.type ?? JSON.stringify(path));
}

/** One fresh requester in `host` connecting to `target` (`{ mid }`). */
export async function connectTry(ctx, host, target) {
  const agent = ctx.agent(host.ns);
  const t = { success: false, ms: null, joinMs: null, path: undefined, reason: undefined };
  let started;
  try {
    started = await agent.call('start', { args: ['--host', host.ip, '--port', '0', '--bootstrap', ctx.bootstrap, ...ctx.nodeFlags, ...(ctx.verbose ? ['--verbose'] : [])] });
    const joined = await agent.call('waitContacts', { node: started.node, timeoutMs: JOIN_LIMIT_MS });
    t.joinMs = joined.ms;
    if (joined.ms === null) {
      t.reason = 'no contacts within 10 s';
      return t;
    }
    const r = await agent.call('http', { node: started.node, path: `/dht/peers/${target.mid}?timeoutMs=${CONNECT_TIMEOUT_MS}`, timeoutMs: CONNECT_TIMEOUT_MS });
    t.ms = r.ms;
    t.path = pathOf(r.body, target.mid);
    t.success = r.status === 200 && Array.isArray(r.body?.peers) && r.body.peers.some((p) => p.mid === target.mid);
    if (!t.success) t.reason = r.status === 0 ? r.error : `${r.status} ${r.body?.error?.code ?? r.body?.code ?? JSON.stringify(r.body).slice(0, 120)}`;
    // With --verbose every try keeps its node's log (the connect's steps with their times, see docs/networking.md).
    if (ctx.verbose) t.log = (await agent.call('stderrTail', { node: started.node, chars: 20_000 })).stderr;
    return t;
  } catch (error) {
    t.reason = String(error.message ?? error);
    return t;
  } finally {
    if (started !== undefined) await agent.call('stop', { node: started.node }).catch(() => {});
  }
}

/** Runs `tries` connect tries with the case's concurrency and time limit. */
async function connectCase(ctx, { requesters, target }) {
  const deadline = performance.now() + ctx.caseLimitMs;
  return pool(ctx.tries, ctx.concurrency, async (i) => {
    if (performance.now() > deadline || ctx.stopping) return { success: false, ms: null, reason: 'case time limit' };
    const host = requesters[i % requesters.length];
    return connectTry(ctx, host, target);
  });
}

/** A connect case: name, loss, requesters, target node, successes wanted out of 20. */
function connectSpec(name, loss, describe, pick, of20, note) {
  return {
    name,
    loss,
    describe,
    run: async (ctx) => {
      const { requesters, target } = pick(ctx);
      const tries = await connectCase(ctx, { requesters, target });
      ctx.saved[name] = tries;
      return { tries, summary: summarize(name, tries, { minSuccesses: scaledMin(of20, ctx.tries) }, note ? { note } : {}) };
    },
  };
}

const hostsOf = (ctx, r, from = 0) => ctx.topo.routers[r].hosts.slice(from);

const NAT_ABSENT = 'GET /health has no nat field (not in this build)';

/** Polls a node's GET /health until `nat.mapping` is known (at most 10 s), and checks it against `check`. */
async function natCheck(ctx, check) {
  const host = check.fresh;
  const agent = ctx.agent(host?.ns ?? check.node.ns);
  let started;
  const t = { success: false, ms: null, who: check.who, expected: `${check.mapping} ${check.host}`, seen: undefined, reason: undefined };
  try {
    let id = check.node?.node;
    if (host !== undefined) {
      started = await agent.call('start', { args: ['--host', host.ip, '--port', '0', '--bootstrap', ctx.bootstrap, ...ctx.nodeFlags] });
      id = started.node;
    }
    const t0 = performance.now();
    let nat;
    while (performance.now() - t0 < JOIN_LIMIT_MS && !ctx.stopping) {
      const r = await agent.call('http', { node: id, path: '/health', timeoutMs: 2_000 });
      nat = r.body?.nat;
      if (r.status === 200 && nat === undefined) {
        t.reason = NAT_ABSENT;
        return t;
      }
      if (nat !== undefined && nat !== null && nat.mapping !== 'unknown') break;
      await new Promise((res) => setTimeout(res, 200));
    }
    t.seen = nat === undefined || nat === null ? 'nothing' : `${nat.mapping} ${nat.publicHost ?? '-'}`;
    t.success = nat?.mapping === check.mapping && nat?.publicHost === check.host;
    if (host !== undefined && t.success) t.ms = Math.round(performance.now() - t0);
    if (!t.success) t.reason = `${check.who}: ${t.seen}, wanted ${t.expected}`;
    return t;
  } catch (error) {
    t.reason = String(error.message ?? error);
    return t;
  } finally {
    if (started !== undefined) await agent.call('stop', { node: started.node }).catch(() => {});
  }
}

/** Every case, in the order they run (grouped by loss so the rule changes few times). */
export const CASES = [
  connectSpec('cone-cone-0', 0, 'NATed -> NATed, both cone, 0 % loss', (c) => ({ requesters: hostsOf(c, 'B'), target: c.targets.coneA }), 20),
  {
    name: 'latency-0',
    loss: 0,
    needs: ['cone-cone-0'],
    describe: 'connect median through a puncture at 0 % loss (the tries of cone-cone-0 that punched)',
    run: async (ctx) => {
      const source = ctx.saved['cone-cone-0'] ?? [];
      // With path reporting, only the tries that say they punched; without it, every success.
      const reported = source.some((t) => t.path !== undefined);
      const punched = source.filter((t) => t.success && (!reported || /punch/i.test(t.path ?? '')));
      const note = reported ? 'the tries of cone-cone-0 whose path says punched' : 'no path reported: every success of cone-cone-0';
      const s = summarize('latency-0', punched, { maxMedianMs: 300 }, { note });
      return { tries: punched, summary: s };
    },
  },
  {
    name: 'nat-status',
    loss: 0,
    describe: 'GET /health `nat` says what each node is behind (targets, a public node, fresh nodes on pub7 and behind B and T)',
    run: async (ctx) => {
      const { routers, client } = ctx.topo;
      const pub = ctx.publicNodes[2];
      const checks = [
        { who: `public ${pub.ns}`, node: pub, mapping: 'none', host: pub.ip },
        { who: 'target coneA', node: ctx.targets.coneA, mapping: 'endpoint-independent', host: routers.A.wan },
        { who: 'target symS', node: ctx.targets.symS, mapping: 'address-dependent', host: routers.S.wan },
        { who: `fresh ${client.ns}`, fresh: client, mapping: 'none', host: client.ip },
        { who: `fresh ${routers.B.hosts[0].ns}`, fresh: routers.B.hosts[0], mapping: 'endpoint-independent', host: routers.B.wan },
        { who: `fresh ${routers.T.hosts[0].ns}`, fresh: routers.T.hosts[0], mapping: 'address-dependent', host: routers.T.wan },
      ];
      const tries = await pool(checks.length, ctx.concurrency, (i) => natCheck(ctx, checks[i]));
      const tried = tries.filter((t) => t.reason !== NAT_ABSENT);
      const note = tried.length === 0 ? '/health has no nat field in this build' : 'latency: a fresh node\'s start to its verdict';
      return { tries, summary: summarize('nat-status', tries, { minSuccesses: checks.length }, { note }) };
    },
  },
  connectSpec('same-nat', 0, 'two hosts behind one cone NAT without hairpin', (c) => ({ requesters: hostsOf(c, 'A', 1), target: c.targets.coneA }), 20),
  connectSpec('sym-cone', 0, 'requester behind a symmetric NAT -> target behind a cone NAT', (c) => ({ requesters: hostsOf(c, 'S'), target: c.targets.coneA }), 18),
  connectSpec('cone-sym', 0, 'requester behind a cone NAT -> target behind a symmetric NAT', (c) => ({ requesters: hostsOf(c, 'B'), target: c.targets.symS }), 18),
  connectSpec('sym-sym', 0, 'requester behind a symmetric NAT -> target behind another symmetric NAT', (c) => ({ requesters: hostsOf(c, 'T'), target: c.targets.symS }), 18),
  {
    name: 'birthday-0',
    loss: 0,
    needs: ['sym-cone', 'cone-sym'],
    describe: 'symmetric <-> cone connects that took a direct path, not the relay (the tries of sym-cone and cone-sym)',
    run: async (ctx) => {
      // A try counts when it connected without the relay: by birthday probing, or `direct` when an earlier
      // spray toward the same NAT had left the path open (conntrack keeps a sprayed port 30 s).
      const source = [...(ctx.saved['sym-cone'] ?? []), ...(ctx.saved['cone-sym'] ?? [])];
      const tries = source.map((t) => ({ ...t, success: t.success && t.path !== undefined && t.path !== 'relayed' }));
      const note = 'a success is a connect whose path is not relayed (birthday, or direct through a port an earlier spray opened)';
      return { tries, summary: summarize('birthday-0', tries, { minSuccesses: scaledMin(36, tries.length / 2) }, { note }) };
    },
  },
  {
    name: 'store-find',
    loss: 0,
    describe: 'store from a NATed node (cone), find from the public nodes and a node behind a symmetric NAT',
    run: async (ctx) => {
      const finders = [...ctx.publicNodes, ctx.targets.symS];
      const tries = await pool(ctx.tries, ctx.concurrency, async (i) => {
        const key = `plnet-${ctx.runId}-${i}`;
        const value = `v${i}-${ctx.runId}`;
        const put = await ctx.agent(ctx.targets.coneA.ns).call('http', { node: ctx.targets.coneA.node, method: 'PUT', path: `/dht/values/${key}`, body: { value }, timeoutMs: 15_000 });
        if (put.status !== 200) return { success: false, ms: null, reason: `put ${put.status} ${JSON.stringify(put.body ?? put.error).slice(0, 120)}` };
        const f = finders[i % finders.length];
        const got = await ctx.agent(f.ns).call('http', { node: f.node, path: `/dht/values/${key}`, timeoutMs: 15_000 });
        const success = got.status === 200 && got.body?.values?.some((v) => v.value === value);
        return { success, ms: got.ms, acks: put.body.acks, putMs: put.ms, reason: success ? undefined : `get ${got.status}` };
      });
      return { tries, summary: summarize('store-find', tries, { minSuccesses: ctx.tries }, { note: 'latency is the find' }) };
    },
  },
  connectSpec('cone-cone-5', 5, 'NATed -> NATed, both cone, 5 % loss', (c) => ({ requesters: hostsOf(c, 'B'), target: c.targets.coneA }), 20),
  connectSpec('cone-cone-20', 20, 'NATed -> NATed, both cone, 20 % loss', (c) => ({ requesters: hostsOf(c, 'B'), target: c.targets.coneA }), 19),
  connectSpec('public-nat-20', 20, 'public -> NATed (cone), 20 % loss', (c) => ({ requesters: [c.topo.client], target: c.targets.coneA }), 19),
  {
    name: 'join-20',
    loss: 20,
    describe: `join at 20 % loss: ${JOIN_NODES} fresh nodes (half public, half behind a cone NAT) with contacts within 10 s`,
    run: async (ctx) => {
      const count = ctx.joinNodes;
      const hosts = [ctx.topo.client, ctx.topo.routers.B.hosts[0]];
      const deadline = performance.now() + ctx.caseLimitMs;
      const tries = await pool(count, ctx.concurrency + 2, async (i) => {
        if (performance.now() > deadline || ctx.stopping) return { success: false, ms: null, reason: 'case time limit' };
        const host = hosts[i % hosts.length];
        const agent = ctx.agent(host.ns);
        let started;
        try {
          started = await agent.call('start', { args: ['--host', host.ip, '--port', '0', '--bootstrap', ctx.bootstrap, ...ctx.nodeFlags] });
          const j = await agent.call('waitContacts', { node: started.node, timeoutMs: JOIN_LIMIT_MS });
          return { success: j.ms !== null, ms: j.ms, reason: j.ms === null ? 'no contacts within 10 s' : undefined };
        } catch (error) {
          return { success: false, ms: null, reason: String(error.message ?? error) };
        } finally {
          if (started !== undefined) await agent.call('stop', { node: started.node }).catch(() => {});
        }
      });
      return { tries, summary: summarize('join-20', tries, { minSuccesses: count }, { note: 'latency is the time to the first contact' }) };
    },
  },
];

/** The cases `--case a,b` names, plus those they need, in suite order; throws on an unknown name. */
export function selectCases(names) {
  if (names === undefined) return CASES;
  const wanted = new Set(names);
  for (const n of wanted) if (!CASES.some((c) => c.name === n)) throw new Error(`unknown case ${n}; the cases: ${CASES.map((c) => c.name).join(', ')}`);
  for (const c of CASES) if (wanted.has(c.name)) for (const d of c.needs ?? []) wanted.add(d);
  return CASES.filter((c) => wanted.has(c.name));
}

// The node view: this node's routing table in the id space (from GET /dht/buckets) and its lookups drawn
// hop by hop as their events arrive (GET /events); a form runs a find, a store or a connect to watch.
import { age, api, chord, html, idFraction, log2Distance, openEvents, polar, sector, short, svg, tip } from './common.js';

const RING = { cx: 260, cy: 260, r: 205 };
const PLOT = { width: 520, height: 300, left: 52, right: 14, top: 14, bottom: 40 };
/** Lookups kept for the list (the oldest go first). */
const MAX_LOOKUPS = 30;
/** How often the routing table and statistics are read again, in ms. */
const REFRESH_MS = 5_000;
/** Marks of a lookup appear this long after the previous hop's, so a person can follow it, in ms. */
const HOP_DELAY_MS = 250;
/** The lookup kind each form button starts. */
const OP_KIND = { find: 'find-values', store: 'store', connect: 'connect' };

const $ = (id) => document.getElementById(id);
const state = {
  self: null,
  lookups: new Map(),
  selected: null,
  pending: null,
  dropped: 0,
};

// ---- the routing table ------------------------------------------------------------------------------------

const ring = $('ring');
const bucketLayer = svg(ring, 'g', { class: 'buckets' });
svg(ring, 'circle', { class: 'axis', cx: RING.cx, cy: RING.cy, r: RING.r });
const lookupRingLayer = svg(ring, 'g', { class: 'lookup-path' });
const contactLayer = svg(ring, 'g', { class: 'contacts' });
const selfLayer = svg(ring, 'g', { class: 'me' });
const centre = svg(ring, 'text', { class: 'centre', x: RING.cx, y: RING.cy, 'text-anchor': 'middle' });

/** The fraction of the id space where a bucket's prefix starts. */
function prefixFraction(bits) {
  let f = 0;
  for (let i = 0; i < Math.min(bits.length, 48); i++) if (bits[i] === '1') f += 2 ** -(i + 1);
  return f;
}

function freshness(lastSeen) {
  const ms = Date.now() - lastSeen;
  return ms < 30_000 ? 'fresh' : ms < 300_000 ? 'recent' : 'stale';
}

function drawTable(table) {
  bucketLayer.replaceChildren();
  contactLayer.replaceChildren();
  selfLayer.replaceChildren();
  const rows = [];
  let contacts = 0;
  for (const b of table.buckets) {
    const start = prefixFraction(b.prefix);
    const width = 2 ** -b.depth;
    const shown = Math.max(width, 0.004);
    const from = start + width / 2 - shown / 2;
    const band = svg(bucketLayer, 'path', {
      class: `bucket depth-${b.depth % 2}${b.containsSelf ? ' own' : ''}`,
      d: sector(RING.cx, RING.cy, RING.r + 10, RING.r + 26 + Math.min(b.depth, 12), from, from + shown),
      'data-depth': b.depth,
    });
    tip(band, `bucket depth ${b.depth}, prefix ${b.prefix || '(none)'}: ${b.contacts.length} contacts, ${b.replacements.length} replacements`);
    for (const c of b.contacts) {
      contacts++;
      const [x, y] = polar(RING.cx, RING.cy, RING.r, idFraction(c.id));
      const dot = svg(contactLayer, 'circle', { class: `contact ${freshness(c.lastSeen)}`, cx: x, cy: y, r: 5, 'data-id': c.id });
      tip(dot, `${c.id}\n${c.address}\nlast seen ${age(Date.now() - c.lastSeen)} ago, RTT ${c.rttMs === null ? '-' : `${c.rttMs.toFixed(1)} ms`}, ${c.failures} failures\nbucket depth ${b.depth}`);
    }
    rows.push(bucketRow(b));
  }
  if (state.self !== null) {
    const [x, y] = polar(RING.cx, RING.cy, RING.r, idFraction(state.self));
    tip(svg(selfLayer, 'circle', { class: 'self', cx: x, cy: y, r: 8 }), `this node\n${state.self}`);
  }
  centre.textContent = `${contacts} contacts · ${table.buckets.length} buckets`;
  $('buckets').tBodies[0].replaceChildren(...rows);
}

function bucketRow(b) {
  const tr = html(null, 'tr', { class: b.containsSelf ? 'own' : '' });
  html(tr, 'td', {}, String(b.depth));
  html(tr, 'td', { class: 'mono' }, b.prefix.length > 24 ? `${b.prefix.slice(0, 24)}…` : b.prefix || '(none)');
  const cell = html(tr, 'td');
  for (const c of b.contacts) {
    const rtt = c.rttMs === null ? '' : ` · ${c.rttMs.toFixed(1)} ms`;
    html(cell, 'span', { class: `chip ${freshness(c.lastSeen)}`, title: `${c.id} ${c.address}` }, `${short(c.id)} · ${age(Date.now() - c.lastSeen)}${rtt}`);
  }
  html(tr, 'td', {}, String(b.replacements.length));
  return tr;
}

async function refresh() {
  let health, buckets, stats;
  try {
    [health, buckets, stats] = await Promise.all([api('GET', '/health'), api('GET', '/dht/buckets'), api('GET', '/dht/statistics')]);
  } catch (error) {
    $('summary').textContent = `the node does not answer (${error.message})`;
    return;
  }
  if (!health.ok || !buckets.ok || !stats.ok) {
    $('summary').textContent = `the API answered ${health.status}/${buckets.status}/${stats.status}${health.body.error ? `: ${health.body.error.message}` : ''}`;
    return;
  }
  const first = state.self === null;
  state.self = buckets.body.nodeId;
  $('mid').textContent = health.body.mid;
  const d = stats.body.dht;
  $('summary').textContent =
    `address ${health.body.address} · ${stats.body.routingTable.contacts} contacts in ${stats.body.routingTable.buckets} buckets · ` +
    `${d.lookups} lookups (${d.averageHops} hops per lookup on average) · ${stats.body.store.values} values held · up ${age(health.body.uptimeMs)}`;
  $('summary').dataset.lookups = String(d.lookups);
  drawTable(buckets.body);
  if (first) performance.mark('peerlay:drawn');
  if (first && state.selected !== null) drawLookup(state.lookups.get(state.selected), false); // hop 1 starts here
}

let refreshQueued = false;
function refreshSoon() {
  if (refreshQueued) return;
  refreshQueued = true;
  setTimeout(() => {
    refreshQueued = false;
    void refresh();
  }, 300);
}

// ---- lookups ----------------------------------------------------------------------------------------------

const plot = $('plot');
svg(plot, 'text', { class: 'hint', x: PLOT.width / 2, y: PLOT.height / 2, 'text-anchor': 'middle' }, 'no lookup yet: run one below');

function lookupOf(e) {
  let l = state.lookups.get(e.lookupId);
  if (l === undefined) {
    l = { id: e.lookupId, kind: e.kind ?? '?', target: e.target, queries: [], byPeer: new Map(), named: new Map(), finished: null };
    state.lookups.set(e.lookupId, l);
    if (state.lookups.size > MAX_LOOKUPS) state.lookups.delete(state.lookups.keys().next().value);
  }
  return l;
}

function onEvent(e) {
  if (e.type === 'dropped') {
    state.dropped += e.count;
    $('stream').textContent = `live (${state.dropped} events dropped: the page read too slowly)`;
    return;
  }
  const l = lookupOf(e);
  if (e.type === 'started') {
    l.kind = e.kind;
    if (state.pending !== null && state.pending === e.kind) {
      state.pending = null;
      select(l.id);
    } else if ($('follow').checked) {
      select(l.id);
    }
  } else if (e.type === 'query') {
    const q = { index: l.queries.length, peer: e.peer.id, address: e.peer.address, hop: e.hop, path: e.path, distance: log2Distance(e.distance), from: referrer(l, e.peer.id, e.hop), state: 'sent', rttMs: null, records: 0 };
    l.queries.push(q);
    l.byPeer.set(q.peer, q);
    if (state.selected === l.id) addQuery(l, q, true);
  } else if (e.type === 'response') {
    for (const c of e.closer) l.named.set(c.id, [...(l.named.get(c.id) ?? []), { id: e.peer.id, hop: e.hop }]);
    const q = l.byPeer.get(e.peer.id);
    if (q !== undefined) {
      q.state = e.records > 0 ? 'found' : 'answered';
      q.rttMs = e.rttMs;
      q.records = e.records;
      if (state.selected === l.id) markState(q);
    }
  } else if (e.type === 'failure') {
    const q = l.byPeer.get(e.peer.id);
    if (q !== undefined) {
      q.state = 'failed';
      if (state.selected === l.id) markState(q);
    }
  } else if (e.type === 'finished') {
    l.kind = e.kind;
    l.finished = e;
    if (state.selected === l.id) title(l);
    refreshSoon();
  }
  listSoon();
}

/** Who led the lookup to `peer` at `hop`: the first node of the hop before that named it (none at hop 1). */
function referrer(l, peer, hop) {
  if (hop <= 1) return null;
  const named = l.named.get(peer) ?? [];
  return (named.find((n) => n.hop === hop - 1) ?? named[0])?.id ?? null;
}

function select(id) {
  state.selected = id;
  drawLookup(state.lookups.get(id), true);
  listSoon();
}

/** Marks and lines of the lookup drawn now, by query index. */
let drawn = new Map();

function drawLookup(l, animate) {
  plot.replaceChildren();
  lookupRingLayer.replaceChildren();
  drawn = new Map();
  if (l === undefined) return;
  plot.dataset.lookup = String(l.id);
  svg(plot, 'g', { class: 'axes' });
  const [tx, ty] = polar(RING.cx, RING.cy, RING.r, idFraction(l.target));
  tip(svg(lookupRingLayer, 'path', { class: 'target', d: `M${tx} ${ty - 9}L${tx + 9} ${ty}L${tx} ${ty + 9}L${tx - 9} ${ty}Z` }), `target ${l.target}`);
  for (const q of l.queries) addQuery(l, q, animate);
  title(l);
}

function addQuery(l, q, animate) {
  const delay = animate ? `${(q.hop - 1) * HOP_DELAY_MS}ms` : '0ms';
  const line = svg(plot, 'line', { class: 'link' });
  const dot = tip(svg(plot, 'circle', { class: 'query', r: 6, 'data-lookup': l.id, 'data-peer': q.peer, 'data-hop': q.hop }), '');
  const from = q.from ?? state.self;
  const at = (id) => polar(RING.cx, RING.cy, RING.r, idFraction(id));
  const path = svg(lookupRingLayer, 'path', { class: 'hop', d: from === null ? '' : chord(RING.cx, RING.cy, at(from), at(q.peer)), 'data-peer': q.peer });
  for (const el of [line, dot, path]) {
    el.style.animationDelay = delay;
    if (animate) el.classList.add('enter');
  }
  drawn.set(q.index, { q, line, dot, path });
  markState(q);
  layout(l);
}

function markState(q) {
  const d = drawn.get(q.index);
  if (d === undefined) return;
  d.dot.setAttribute('class', `query ${q.state}${d.dot.classList.contains('enter') ? ' enter' : ''}`);
  d.path.setAttribute('class', `hop ${q.state}${d.path.classList.contains('enter') ? ' enter' : ''}`);
  d.dot.firstChild.textContent =
    `hop ${q.hop}, path ${q.path}: ${q.peer}\n${q.address}\nXOR distance 2^${q.distance.toFixed(2)}\n` +
    (q.state === 'sent' ? 'waiting' : q.state === 'failed' ? 'failed' : `answered in ${q.rttMs.toFixed(1)} ms${q.records > 0 ? `, ${q.records} records` : ''}`);
}

/** Places the marks: x by hop, y by log2 distance between the lookup's nearest and farthest queried. */
function layout(l) {
  const hops = Math.max(3, ...l.queries.map((q) => q.hop));
  const ds = l.queries.map((q) => q.distance);
  const top = Math.ceil(Math.max(160, ...ds));
  const bottom = Math.floor(Math.min(top - 8, ...ds));
  const x = (hop) => PLOT.left + ((hop - 0.5) / hops) * (PLOT.width - PLOT.left - PLOT.right);
  const y = (d) => PLOT.top + ((top - d) / (top - bottom)) * (PLOT.height - PLOT.top - PLOT.bottom);
  const axes = plot.querySelector('.axes');
  axes.replaceChildren();
  svg(axes, 'line', { x1: PLOT.left, y1: PLOT.height - PLOT.bottom, x2: PLOT.width - PLOT.right, y2: PLOT.height - PLOT.bottom });
  svg(axes, 'line', { x1: PLOT.left, y1: PLOT.top, x2: PLOT.left, y2: PLOT.height - PLOT.bottom });
  for (let h = 1; h <= hops; h++) svg(axes, 'text', { x: x(h), y: PLOT.height - PLOT.bottom + 16, 'text-anchor': 'middle' }, `hop ${h}`);
  const step = Math.max(1, Math.ceil((top - bottom) / 6));
  for (let d = bottom; d <= top; d += step) svg(axes, 'text', { x: PLOT.left - 6, y: y(d) + 4, 'text-anchor': 'end' }, `2^${d}`);
  svg(axes, 'text', { x: PLOT.left, y: PLOT.height - 4 }, 'XOR distance to the target (log scale) by hop');
  const byPeer = new Map([...drawn.values()].map((m) => [m.q.peer, m.q]));
  for (const { q, line, dot } of drawn.values()) {
    dot.setAttribute('cx', x(q.hop));
    dot.setAttribute('cy', y(q.distance));
    const parent = q.from === null ? undefined : byPeer.get(q.from);
    if (parent === undefined) {
      line.setAttribute('x1', PLOT.left);
      line.setAttribute('y1', y(q.distance));
    } else {
      line.setAttribute('x1', x(parent.hop));
      line.setAttribute('y1', y(parent.distance));
    }
    line.setAttribute('x2', x(q.hop));
    line.setAttribute('y2', y(q.distance));
  }
}

function title(l) {
  const f = l.finished;
  const end = f === null ? 'running' : `${f.hops} hop${f.hops === 1 ? '' : 's'}, ${f.queries} queries${f.failures > 0 ? ` (${f.failures} failed)` : ''}, ${f.durationMs.toFixed(1)} ms${f.error ? `, ${f.error}` : f.found > 0 ? `, ${f.found} answers with records` : ''}`;
  $('lookup-title').textContent = `#${l.id} ${l.kind} ${short(l.target)}…: ${end}`;
  $('lookup-title').dataset.lookup = String(l.id);
}

let listQueued = false;
function listSoon() {
  if (listQueued) return;
  listQueued = true;
  requestAnimationFrame(() => {
    listQueued = false;
    const rows = [...state.lookups.values()].reverse().map((l) => {
      const f = l.finished;
      const tr = html(null, 'tr', { 'data-lookup': l.id, class: l.id === state.selected ? 'selected' : '' });
      for (const text of [`${l.id}`, l.kind, `${short(l.target)}…`, f ? `${f.hops}` : '', f ? `${f.queries}` : `${l.queries.length}`, f ? f.durationMs.toFixed(1) : '', f ? (f.error ?? (f.found > 0 ? 'found' : 'done')) : 'running']) {
        html(tr, 'td', {}, text);
      }
      tr.addEventListener('click', () => {
        $('follow').checked = false;
        select(l.id);
      });
      return tr;
    });
    $('lookups').tBodies[0].replaceChildren(...rows);
  });
}

// ---- the form ---------------------------------------------------------------------------------------------

function describe(op, r) {
  const b = r.body;
  if (!r.ok) return `${op}: ${r.status} ${b.error?.code ?? ''}: ${b.error?.message ?? ''}`;
  if (op === 'find') return `found ${b.values.length} value${b.values.length === 1 ? '' : 's'} under ${short(b.key)}… (${b.source}): ${b.values.slice(0, 3).map((v) => JSON.stringify(v.value.slice(0, 40))).join(', ')}`;
  if (op === 'store') return `stored on ${b.acks} nodes under ${short(b.key)}…`;
  return `connected to ${b.peers.map((p) => `${short(p.mid)}… at ${p.address}`).join(', ') || 'nobody'}`;
}

$('ops').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const op = ev.submitter?.value ?? 'find';
  const key = $('key').value;
  const mid = $('peer-mid').value.trim();
  const out = $('result');
  if (op === 'connect' ? !/^[0-9a-fA-F]{40}$/.test(mid) : key === '') {
    out.textContent = op === 'connect' ? 'a mid is 40 hex digits' : 'give a key';
    return;
  }
  state.pending = OP_KIND[op];
  $('follow').checked = false;
  out.textContent = `${op}…`;
  out.dataset.state = 'running';
  try {
    const path = op === 'connect' ? `/dht/peers/${mid}` : `/dht/values/${encodeURIComponent(key)}`;
    const r = op === 'store' ? await api('PUT', path, { value: $('value').value }) : await api('GET', path);
    // The answer names the key looked up: show that lookup, whatever else started meanwhile.
    const mine = [...state.lookups.values()].reverse().find((l) => l.target === r.body.key && l.kind === OP_KIND[op]);
    if (mine !== undefined && mine.id !== state.selected) select(mine.id);
    const none = state.pending !== null ? ' (no lookup ran: the node answered from what it knew)' : '';
    out.textContent = describe(op, r) + none;
  } catch (error) {
    out.textContent = `${op} failed: ${error.message}`;
  } finally {
    state.pending = null;
    out.dataset.state = 'done';
    refreshSoon();
  }
});

openEvents(onEvent, (s) => {
  $('stream').textContent = s;
  $('stream').dataset.state = s;
});
await refresh();
setInterval(() => void refresh(), REFRESH_MS);

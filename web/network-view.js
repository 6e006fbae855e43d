// The network view of `peerlay demo --web`: every node of the demo on a ring by its id (GET /network), and
// every lookup any of them runs animated as its events arrive (GET /events): a curve for each query, from
// the node that named the peer (or the node looking) to the peer asked.
import { api, chord, html, idFraction, openEvents, polar, short, svg, tip } from './common.js';

const RING = { cx: 300, cy: 300, r: 240 };
/** Query curves on screen at once; past this, queries are counted but not drawn. */
const MAX_CURVES = 400;
/** Finished lookups listed. */
const MAX_LISTED = 14;
/** A query's curve appears this long after the previous hop's, in ms. */
const HOP_DELAY_MS = 200;
/** A curve (and a target mark) is removed this long after it appeared, in ms (the CSS fade takes less). */
const CURVE_LIFE_MS = 4_000;

const $ = (id) => document.getElementById(id);
const ring = $('ring');
svg(ring, 'circle', { class: 'axis', cx: RING.cx, cy: RING.cy, r: RING.r });
const curveLayer = svg(ring, 'g', { class: 'lookup' });
const nodeLayer = svg(ring, 'g', { class: 'nodes' });
const targetLayer = svg(ring, 'g', { class: 'targets' });
const centre = svg(ring, 'text', { class: 'centre', x: RING.cx, y: RING.cy, 'text-anchor': 'middle' });

const counters = { started: 0, finished: 0, running: 0, queries: 0, failures: 0, drawn: 0, dropped: 0 };
const lookups = new Map();
const finished = [];
let curves = 0;

const at = (id, r = RING.r) => polar(RING.cx, RING.cy, r, idFraction(id));

/** Removes `el` after `ms`. */
function expire(el, ms, then) {
  setTimeout(() => {
    el.remove();
    then?.();
  }, ms);
}

function onEvent(e) {
  if (e.type === 'dropped') {
    counters.dropped += e.count;
    return countersSoon();
  }
  const key = `${e.node}:${e.lookupId}`;
  let l = lookups.get(key);
  if (l === undefined) {
    l = { node: e.node, kind: e.kind ?? '?', target: e.target, named: new Map(), curves: new Map(), targetEl: null };
    lookups.set(key, l);
  }
  if (e.type === 'started') {
    counters.started++;
    counters.running++;
    const [x, y] = at(e.target);
    l.targetEl = tip(svg(targetLayer, 'path', { class: `target ${e.kind}`, d: `M${x} ${y - 7}L${x + 7} ${y}L${x} ${y + 7}L${x - 7} ${y}Z` }), `${e.kind} ${e.target} by ${e.node}`);
  } else if (e.type === 'query') {
    counters.queries++;
    if (curves < MAX_CURVES) {
      const from = e.hop <= 1 ? e.node : (l.named.get(e.peer.id) ?? e.node);
      const curve = svg(curveLayer, 'path', { class: `hop ${l.kind}`, d: chord(RING.cx, RING.cy, at(from), at(e.peer.id), 0.6) });
      curve.style.animationDelay = `${(e.hop - 1) * HOP_DELAY_MS}ms`;
      l.curves.set(e.peer.id, curve);
      curves++;
      counters.drawn++;
      expire(curve, CURVE_LIFE_MS + e.hop * HOP_DELAY_MS, () => curves--);
      const [x, y] = at(e.peer.id);
      const pulse = svg(curveLayer, 'circle', { class: 'asked', cx: x, cy: y, r: 9 });
      pulse.style.animationDelay = curve.style.animationDelay;
      expire(pulse, CURVE_LIFE_MS);
    }
  } else if (e.type === 'response') {
    for (const c of e.closer) if (!l.named.has(c.id)) l.named.set(c.id, e.peer.id);
    if (e.records > 0) l.curves.get(e.peer.id)?.classList.add('found');
  } else if (e.type === 'failure') {
    counters.failures++;
    l.curves.get(e.peer.id)?.classList.add('failed');
  } else if (e.type === 'finished') {
    counters.finished++;
    counters.running = Math.max(0, counters.running - 1);
    lookups.delete(key);
    if (l.targetEl !== null) expire(l.targetEl, CURVE_LIFE_MS / 2);
    finished.unshift({ ...e, kind: e.kind });
    finished.length = Math.min(finished.length, MAX_LISTED);
  }
  countersSoon();
}

let queued = false;
function countersSoon() {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    const dl = $('counters');
    dl.replaceChildren();
    const labels = { started: 'lookups started', finished: 'finished', running: 'running', queries: 'queries', failures: 'failed queries', drawn: 'queries drawn', dropped: 'events dropped' };
    for (const [name, label] of Object.entries(labels)) {
      html(dl, 'dt', {}, label);
      html(dl, 'dd', { id: `count-${name}` }, String(counters[name]));
    }
    const rows = finished.map((f) => {
      const tr = html(null, 'tr');
      for (const text of [`${short(f.node)}…`, f.kind, `${short(f.target)}…`, `${f.hops}`, `${f.queries}`, f.durationMs.toFixed(1)]) html(tr, 'td', {}, text);
      return tr;
    });
    $('lookups').tBodies[0].replaceChildren(...rows);
  });
}

async function drawNodes() {
  const r = await api('GET', '/network').catch((error) => ({ ok: false, status: error.message }));
  if (!r.ok) {
    $('summary').textContent = `the demo answered ${r.status}`;
    return;
  }
  const nodes = r.body.nodes;
  nodeLayer.replaceChildren();
  for (const n of nodes) {
    const [x, y] = at(n.mid);
    tip(svg(nodeLayer, 'circle', { class: 'node', cx: x, cy: y, r: 6, 'data-id': n.mid }), `${n.mid}\n${n.address}\n${n.contacts} contacts`);
    if (nodes.length <= 64) {
      const [lx, ly] = at(n.mid, RING.r + 22);
      svg(nodeLayer, 'text', { class: 'label', x: lx, y: ly + 4, 'text-anchor': 'middle' }, short(n.mid).slice(0, 4));
    }
  }
  centre.textContent = `${nodes.length} nodes`;
  const contacts = nodes.map((n) => n.contacts).sort((a, b) => a - b);
  $('summary').textContent = `${nodes.length} nodes on ${nodes[0]?.address.split(':')[0] ?? '?'}, ${contacts[contacts.length >> 1] ?? 0} contacts each (median); every lookup of every node is drawn as it runs`;
  $('summary').dataset.nodes = String(nodes.length);
  performance.mark('peerlay:drawn');
}

openEvents(onEvent, (s) => {
  $('stream').textContent = s;
  $('stream').dataset.state = s;
});
countersSoon();
await drawNodes();

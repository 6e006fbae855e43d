// Shared by the node view and the network view: the API token, API calls, the event stream, SVG drawing
// and the geometry of the id space (ids are 160 bits, in hex).

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The API token, when the page was opened with `?token=`: sent on every API call. */
export const token = new URLSearchParams(location.search).get('token');

/** Calls the node's API; resolves with `{ ok, status, body }` (the JSON answer). */
export async function api(method, path, body) {
  const headers = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { ok: res.ok, status: res.status, body: await res.json() };
}

/** Opens `GET /events`; `onEvent` gets each lookup event, `onState` 'live', 'reconnecting' or 'closed'. */
export function openEvents(onEvent, onState) {
  const source = new EventSource(token === null ? '/events' : `/events?token=${encodeURIComponent(token)}`);
  source.onmessage = (m) => onEvent(JSON.parse(m.data));
  source.onopen = () => onState('live');
  source.onerror = () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  return source;
}

/** Creates an SVG element with attributes (and text), appended to `parent` when given. */
export function svg(parent, name, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

/** Creates an HTML element with attributes and text, appended to `parent` when given. */
export function html(parent, name, attrs = {}, text) {
  const el = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

/** Adds a hover text. */
export function tip(el, text) {
  svg(el, 'title', {}, text);
  return el;
}

/** Where an id sits on the ring, in [0, 1): its first 32 bits over 2^32. */
export function idFraction(hex) {
  return parseInt(hex.slice(0, 8), 16) / 2 ** 32;
}

/** A point at `fraction` of the way round a circle, starting at the top, clockwise. */
export function polar(cx, cy, r, fraction) {
  const a = fraction * 2 * Math.PI - Math.PI / 2;
  return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
}

/** An annular sector from fraction `a` to `b` between radii `r1` < `r2`, as SVG path data. */
export function sector(cx, cy, r1, r2, a, b) {
  const large = b - a > 0.5 ? 1 : 0;
  const [x1, y1] = polar(cx, cy, r2, a);
  const [x2, y2] = polar(cx, cy, r2, b);
  const [x3, y3] = polar(cx, cy, r1, b);
  const [x4, y4] = polar(cx, cy, r1, a);
  return `M${x1} ${y1}A${r2} ${r2} 0 ${large} 1 ${x2} ${y2}L${x3} ${y3}A${r1} ${r1} 0 ${large} 0 ${x4} ${y4}Z`;
}

/** A curve between two points bending towards the centre, as SVG path data. */
export function chord(cx, cy, [x1, y1], [x2, y2], bend = 0.5) {
  const mx = (x1 + x2) / 2;
  const my = (y1 + y2) / 2;
  return `M${x1} ${y1}Q${mx + (cx - mx) * bend} ${my + (cy - my) * bend} ${x2} ${y2}`;
}

/** log2 of a XOR distance given in hex (0 for distance 0); 159.x for a random id. */
export function log2Distance(hex) {
  const i = hex.search(/[1-9a-f]/i);
  if (i < 0) return 0;
  const head = hex.slice(i, i + 13);
  return Math.log2(parseInt(head, 16)) + 4 * (hex.length - i - head.length);
}

/** The first 8 hex digits of an id. */
export function short(hex) {
  return hex.slice(0, 8);
}

/** A duration for people: `850 ms`, `12 s`, `4 min`, `3 h`. */
export function age(ms) {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1_000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/**
 * ProbingEndpoint and PortSpray on the in-memory network: a batch behind a symmetric NAT is found by a
 * spray from behind a cone NAT, the target is pinned to the socket that was hit and traffic both ways
 * then flows over it; strays are dropped; probes never reach the overlay; limits refuse batches; idle
 * pins and unhit sockets are closed; a spray tries the ports after `nearPort` first, never a port twice,
 * stops when told and clears its timer.
 */
import { describe, expect, it } from 'vitest';
import type { Address } from '../../../framework/endpoint/address.js';
import { addressKey } from '../../../framework/endpoint/address.js';
import { MemoryNetwork } from '../../../framework/endpoint/memory-network.js';
import type { MemoryEndpoint, MemoryNat } from '../../../framework/endpoint/memory-network.js';
import { PROBE_BYTES, isProbe, probeTag, taggedProbe } from '../../../framework/endpoint/probe-packet.js';
import { ProbingEndpoint } from '../../../framework/endpoint/probing-endpoint.js';
import { PortSpray } from '../../../framework/endpoint/port-spray.js';
import { InvalidArgumentError } from '../../../framework/errors.js';
import { SeededRandom } from '../../../framework/random/random.js';
import { ManualClock } from '../../../framework/time/manual-clock.js';

const START = 1_000_000;

function setup(seed = 7): { clock: ManualClock; net: MemoryNetwork } {
  const clock = new ManualClock(START);
  return { clock, net: new MemoryNetwork(clock, new SeededRandom(seed), { latencyMs: 10 }) };
}

/** A ProbingEndpoint behind `nat` at 10.0.0.2:7000 whose probe sockets take ports 20000, 20001, ... */
async function probingBehind(net: MemoryNetwork, clock: ManualClock, nat: MemoryNat, pinIdleMs?: number, maxSockets?: number): Promise<ProbingEndpoint> {
  let port = 20_000;
  const e = new ProbingEndpoint(net.createEndpoint({ host: '10.0.0.2', port: 7_000 }, { behind: nat }), {
    createSocket: () => net.createEndpoint({ host: '10.0.0.2', port: port++ }, { behind: nat }),
    ...(pinIdleMs === undefined ? {} : { pinIdleMs }),
    ...(maxSockets === undefined ? {} : { maxSockets }),
  }, clock);
  await e.open();
  return e;
}

function inbox(e: { addListener(l: (d: Uint8Array, f: Address) => void): void }): Array<{ text: string; from: string }> {
  const got: Array<{ text: string; from: string }> = [];
  e.addListener((d, f) => got.push({ text: new TextDecoder().decode(d), from: addressKey(f) }));
  return got;
}

const say = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A cone host (plain endpoint) and a symmetric host (ProbingEndpoint), each behind its own NAT. */
async function pair(clock: ManualClock, net: MemoryNetwork) {
  const coneNat = net.createNat({ mapping: 'endpoint-independent' });
  const symNat = net.createNat({ mapping: 'address-and-port-dependent' });
  const cone = net.createEndpoint({ host: '10.0.0.2', port: 7_000 }, { behind: coneNat });
  await cone.open();
  const sym = await probingBehind(net, clock, symNat);
  const conePublic = { host: coneNat.publicHost, port: 7_000 };
  return { cone, coneNat, sym, symNat, conePublic };
}

/** Sprays from `cone` at `host` until a hit or `count` probes; returns the spray. */
function sprayFrom(cone: MemoryEndpoint, clock: ManualClock, random: SeededRandom, host: string, count = 2_000): PortSpray {
  const spray = new PortSpray(host, (to) => cone.send(to, PROBE_BYTES), { after: (ms, fn) => clock.setTimeout(fn, ms), cancel: (h) => clock.clear(h) }, random, { count });
  spray.start();
  return spray;
}

describe('ProbingEndpoint', () => {
  it('a batch behind a symmetric NAT is hit by a spray from a cone NAT; the target is pinned and traffic flows both ways', async () => {
    const { clock, net } = setup();
    const { cone, sym, symNat, conePublic } = await pair(clock, net);
    let hits = 0;
    const batch = (await sym.openBatch(conePublic, 256, () => hits++))!;
    expect(batch.size).toBe(256);
    expect(sym.probing.probesSent).toBe(256);
    expect(sym.stats.packetsSent).toBe(256); // the endpoint's counters include its probe sockets'
    const coneGot = inbox(cone);
    const symGot = inbox(sym);
    const spray = sprayFrom(cone, clock, new SeededRandom(3), symNat.publicHost);
    await clock.advance(3_000);
    expect(hits).toBe(1);
    expect(batch.hit).toBe(true);
    expect(sym.isPinned(conePublic)).toBe(true);
    expect(symGot).toEqual([]); // probes never reach the listeners
    expect(spray.sent).toBeGreaterThan(0);
    // Through the pin: the cone host receives from the mapped port its spray opened, and answers there.
    // The pinned socket sent one probe back at once (the cone side learns the port that got through).
    expect(coneGot.length).toBe(1);
    expect(coneGot[0]!.text.endsWith('PLPROBE')).toBe(true);
    sym.send(conePublic, say('hello'));
    await clock.advance(100);
    expect(coneGot.map((g) => g.text).slice(1)).toEqual(['hello']);
    const mapped = coneGot[1]!.from;
    expect(coneGot[0]!.from).toBe(mapped);
    expect(mapped.startsWith(`${symNat.publicHost}:`)).toBe(true);
    cone.send({ host: symNat.publicHost, port: Number(mapped.split(':')[1]) }, say('welcome'));
    await clock.advance(100);
    expect(symGot).toEqual([{ text: 'welcome', from: addressKey(conePublic) }]);
    expect(sym.probing.pinnedSent).toBe(1);
    // Closing the batch keeps only the pinned socket; the closed sockets' counters stay in the stats.
    const sentBefore = sym.stats.packetsSent;
    await batch.close();
    expect(sym.probing.socketsOpen).toBe(1);
    expect(sym.stats.packetsSent).toBe(sentBefore);
    spray.stop();
    await sym.close();
    expect(sym.probing.socketsOpen).toBe(0);
    expect(sym.stats.packetsSent).toBe(sentBefore);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('drops packets from anyone but the target on a batch socket, and probes on the main socket go to probe listeners only', async () => {
    const { clock, net } = setup(11);
    const nat = net.createNat({ mapping: 'endpoint-independent', filtering: 'endpoint-independent' }); // full cone: anyone gets in
    const e = await probingBehind(net, clock, nat);
    const target = net.createEndpoint();
    const stranger = net.createEndpoint();
    await target.open();
    await stranger.open();
    let hits = 0;
    const batch = (await e.openBatch(target.address, 2, () => hits++))!;
    e.send(target.address, say('opens the main mapping'));
    const got = inbox(e);
    const probesFrom: string[] = [];
    e.onProbe((from) => probesFrom.push(addressKey(from)));
    // The stranger hits the batch's first socket (full cone keeps its internal port 20000) and the main socket.
    stranger.send({ host: nat.publicHost, port: 20_000 }, say('junk'));
    stranger.send({ host: nat.publicHost, port: 7_000 }, PROBE_BYTES);
    await clock.advance(100);
    expect(e.probing.strays).toBe(1);
    expect(hits).toBe(0);
    expect(e.isPinned(target.address)).toBe(false);
    expect(probesFrom).toEqual([addressKey(stranger.address)]);
    expect(got).toEqual([]);
    // The target's ordinary packet on a batch socket pins and is delivered.
    target.send({ host: nat.publicHost, port: 20_001 }, say('hi'));
    await clock.advance(100);
    expect(hits).toBe(1);
    expect(got).toEqual([{ text: 'hi', from: addressKey(target.address) }]);
    await batch.close();
    await e.close();
  });

  it('refuses a batch beyond maxSockets, and a count that is not a positive integer', async () => {
    const { clock, net } = setup(12);
    const nat = net.createNat({ mapping: 'address-and-port-dependent' });
    const e = await probingBehind(net, clock, nat, undefined, 300);
    const target = { host: '198.18.77.1', port: 9_000 };
    const first = await e.openBatch(target, 256);
    expect(first?.size).toBe(256);
    expect(await e.openBatch({ host: '198.18.77.2', port: 9_000 }, 256)).toBeUndefined();
    expect(e.probing.batchesRefused).toBe(1);
    await expect(e.openBatch(target, 0)).rejects.toThrow(InvalidArgumentError);
    await first!.close();
    expect(e.probing.socketsOpen).toBe(0);
    expect((await e.openBatch({ host: '198.18.77.2', port: 9_000 }, 256))?.size).toBe(256);
    await e.close();
    expect(() => new ProbingEndpoint(net.createEndpoint(), { createSocket: () => net.createEndpoint(), maxPins: 0 }, clock)).toThrow(/maxPins must be a positive integer/);
  });

  it('closes a pinned socket that sat idle for pinIdleMs; then sends leave through the main socket', async () => {
    const { clock, net } = setup(13);
    const { cone, sym, symNat, conePublic } = await pair(clock, net);
    // Rebuild the symmetric side with a short idle limit.
    await sym.close();
    const e = await probingBehind(net, clock, symNat, 5_000);
    const batch = (await e.openBatch(conePublic, 256))!;
    const spray = sprayFrom(cone, clock, new SeededRandom(5), symNat.publicHost);
    await clock.advance(3_000);
    spray.stop();
    await batch.close();
    expect(e.isPinned(conePublic)).toBe(true);
    await clock.advance(6_000);
    expect(e.isPinned(conePublic)).toBe(false);
    expect(e.probing.pinsExpired).toBe(1);
    expect(e.probing.socketsOpen).toBe(0);
    const sentBefore = e.stats.packetsSent;
    e.send(conePublic, say('main'));
    expect(e.stats.packetsSent).toBe(sentBefore + 1); // the main endpoint's counter
    await e.close();
  });
});

describe('port prediction (a NAT that allocates ports in sequence)', () => {
  it('the spray tries the ports after the one a third party saw first, and hits in its first tick', async () => {
    const { clock, net } = setup(21);
    const coneNat = net.createNat({ mapping: 'endpoint-independent' });
    const symNat = net.createNat({ mapping: 'address-and-port-dependent', portAllocation: 'sequential' });
    const cone = net.createEndpoint({ host: '10.0.0.2', port: 7_000 }, { behind: coneNat });
    await cone.open();
    const sym = await probingBehind(net, clock, symNat);
    // A third party (a storer) sees the symmetric side's main socket at some port of its NAT.
    const storer = net.createEndpoint();
    await storer.open();
    const seen: Address[] = [];
    storer.addListener((_d, from) => seen.push(from));
    sym.send(storer.address, say('announce'));
    await clock.advance(50);
    expect(seen.length).toBe(1);
    const conePublic = { host: coneNat.publicHost, port: 7_000 };
    let hitAfter: number | undefined;
    let spray: PortSpray | undefined;
    await sym.openBatch(conePublic, 256, () => (hitAfter = spray?.sent));
    spray = new PortSpray(symNat.publicHost, (to) => cone.send(to, PROBE_BYTES), { after: (ms, fn) => clock.setTimeout(fn, ms), cancel: (h) => clock.clear(h) }, new SeededRandom(4), { nearPort: seen[0]!.port });
    spray.start();
    await clock.advance(100);
    spray.stop();
    expect(hitAfter).toBeDefined();
    expect(hitAfter!).toBeLessThanOrEqual(25);
    expect(sym.isPinned(conePublic)).toBe(true);
    await sym.close();
  });

  it('MemoryNat rejects an unknown portAllocation', () => {
    const { net } = setup(22);
    expect(() => net.createNat({ portAllocation: 'odd' as 'random' })).toThrow(InvalidArgumentError);
  });
});

describe('PortSpray', () => {
  it('tries the ports after nearPort first, then random ports, none twice, paced per tick', async () => {
    const clock = new ManualClock(START);
    const ports: number[] = [];
    const spray = new PortSpray('198.18.5.5', (to) => ports.push(to.port), { after: (ms, fn) => clock.setTimeout(fn, ms), cancel: (h) => clock.clear(h) }, new SeededRandom(1), {
      count: 500,
      perTick: 50,
      tickMs: 10,
      nearPort: 40_000,
      nearCount: 8,
    });
    spray.start();
    expect(ports.length).toBe(50); // the first tick at once
    expect(ports.slice(0, 8)).toEqual([40_001, 40_002, 40_003, 40_004, 40_005, 40_006, 40_007, 40_008]);
    await clock.advance(10);
    expect(ports.length).toBe(100);
    await clock.advance(1_000);
    expect(ports.length).toBe(500);
    expect(new Set(ports).size).toBe(500);
    expect(ports.every((p) => p >= 1_024 && p <= 65_535)).toBe(true);
    expect(spray.running).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stop() ends it at once and clears its timer; bad options throw', async () => {
    const clock = new ManualClock(START);
    let sent = 0;
    const timers = { after: (ms: number, fn: () => void) => clock.setTimeout(fn, ms), cancel: (h: ReturnType<ManualClock['setTimeout']> | undefined) => clock.clear(h) };
    const spray = new PortSpray('198.18.5.5', () => sent++, timers, new SeededRandom(2));
    spray.start();
    expect(sent).toBe(25);
    spray.stop();
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(1_000);
    expect(sent).toBe(25);
    expect(() => new PortSpray('h', () => undefined, timers, new SeededRandom(1), { count: 0 })).toThrow(InvalidArgumentError);
    expect(() => new PortSpray('h', () => undefined, timers, new SeededRandom(1), { nearPort: 70_000 })).toThrow(/nearPort must be in 1..65535/);
    expect(isProbe(PROBE_BYTES)).toBe(true);
    expect(isProbe(Uint8Array.of(0xff))).toBe(false);
    const tagged = taggedProbe(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(isProbe(tagged)).toBe(true);
    expect(probeTag(tagged)).toBe('0102030405060708');
    expect(probeTag(PROBE_BYTES)).toBeUndefined();
    expect(isProbe(new Uint8Array(12).fill(0xff))).toBe(false);
  });
});

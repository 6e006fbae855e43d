/**
 * A peer that went offline is reported not found as soon as the search is exhausted, well within the
 * timeout, whether the storers still hold its (now dead) record or already dropped it; a timeout shorter
 * than the search ends it with not-found at the timeout; cancellation and a malformed mid fail fast.
 */
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHTError } from '../../../communities/dht/index.js';
import type { DHTErrorReason } from '../../../communities/dht/index.js';
import { discoveryNet, stopAndDrain } from './discovery-net.js';
import type { DiscoveryNet, DiscoveryNode } from './discovery-net.js';

const NODES = 60;
const KEEPALIVE_MS = 10_000;
/** The settle loop moves virtual time in 20 ms steps; a rejection is observed at most one step late. */
const SLACK_MS = 50;

/** Runs `connectPeer` on the virtual clock; returns how it failed and when (virtual ms after the call). */
async function failure(net: DiscoveryNet, from: DiscoveryNode, mid: Uint8Array, options: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  const begin = net.clock.now();
  let failedAt = Number.NaN;
  const call = from.discovery.connectPeer(mid, options).then(
    (peers) => ({ error: undefined, peers }),
    (error: unknown) => {
      failedAt = net.clock.now() - begin;
      return { error, peers: undefined };
    },
  );
  const outcome = await net.clock.settle(call);
  expect(outcome.peers).toBeUndefined();
  expect(outcome.error).toBeInstanceOf(DHTError);
  return { reason: (outcome.error as DHTError).reason as DHTErrorReason, elapsedMs: failedAt };
}

/** Number of nodes holding a record for `target`. */
function holderCount(net: DiscoveryNet, target: DiscoveryNode): number {
  return net.nodes.filter((n) => n !== target && n.discovery.records.get(target.host.midHex).length > 0).length;
}

describe('DHTDiscoveryCommunity: a node that went offline', () => {
  let net: DiscoveryNet;
  let gone: DiscoveryNode;
  let requester: DiscoveryNode;
  const started = performance.now();

  beforeAll(async () => {
    net = await discoveryNet(NODES, 17, { discovery: { keepaliveIntervalMs: KEEPALIVE_MS } });
    await net.clock.advance(15_000);
    gone = net.nodes[33]!;
    requester = net.nodes[8]!;
    expect(holderCount(net, gone)).toBeGreaterThanOrEqual(gone.discovery.settings.minStorers);
    await gone.host.stop();
  });

  afterAll(async () => {
    expect(net.listenerErrors).toEqual([]);
    expect(await stopAndDrain(net)).toBe(0);
    console.log(`offline: ${Math.round(performance.now() - started)} ms wall`);
  });

  it('while storers still hold its dead record: rejects with not-found once the dead address\'s hello timed out, before the default timeout (10 s)', async () => {
    await net.clock.advance(1_000);
    expect(holderCount(net, gone)).toBeGreaterThanOrEqual(gone.discovery.settings.minStorers);
    const timeoutMs = requester.discovery.settings.connectTimeoutMs;
    expect(timeoutMs).toBe(10_000);
    const sentBefore = requester.discovery.stats.sent['hello-request'] ?? 0;
    const { reason, elapsedMs } = await failure(net, requester, gone.host.key.publicKey.mid);
    expect(reason).toBe('not-found');
    expect(elapsedMs).toBeGreaterThanOrEqual(requester.discovery.settings.requestTimeoutMs); // the hello to the dead address was waited out
    expect(elapsedMs).toBeLessThan(timeoutMs / 2);
    // The storers did hand out the dead address: the requester tried it, and got no signed answer.
    expect(requester.discovery.stats.sent['hello-request'] ?? 0).toBeGreaterThan(sentBefore);
    expect(requester.discovery.peers.getByMid(gone.host.midHex)).toBeUndefined();
  });

  it('after storers dropped its record (recordSilenceMs): rejects with not-found before the given timeoutMs, or at a shorter one', async () => {
    const { recordSilenceMs } = gone.discovery.settings;
    await net.clock.advance(recordSilenceMs + KEEPALIVE_MS);
    expect(holderCount(net, gone)).toBe(0);
    const { reason, elapsedMs } = await failure(net, requester, gone.host.key.publicKey.mid, { timeoutMs: 4_000 });
    expect(reason).toBe('not-found');
    expect(elapsedMs).toBeLessThan(4_000);
    // A timeout shorter than the search ends it at the timeout, with the same reason.
    const cut = await failure(net, requester, gone.host.key.publicKey.mid, { timeoutMs: 300 });
    expect(cut.reason).toBe('not-found');
    expect(cut.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(cut.elapsedMs).toBeLessThanOrEqual(300 + SLACK_MS);
  });

  it('an AbortSignal ends the search at once with reason aborted; a mid that is not 20 bytes is invalid-key', async () => {
    const controller = new AbortController();
    net.clock.setTimeout(() => controller.abort(), 1_000);
    const aborted = await failure(net, requester, gone.host.key.publicKey.mid, { signal: controller.signal });
    expect(aborted.reason).toBe('aborted');
    expect(aborted.elapsedMs).toBe(1_000);

    const preAborted = await failure(net, requester, gone.host.key.publicKey.mid, { signal: AbortSignal.abort() });
    expect(preAborted).toEqual({ reason: 'aborted', elapsedMs: 0 });

    await expect(requester.discovery.connectPeer(new Uint8Array(19))).rejects.toMatchObject({ name: 'DHTError', reason: 'invalid-key' });
  });

  it('a node with an empty routing table fails at once with no-nodes', async () => {
    const lone = await discoveryNet(1, 3);
    const only = lone.nodes[0]!;
    const { reason, elapsedMs } = await failure(lone, only, requester.host.key.publicKey.mid);
    expect(reason).toBe('no-nodes');
    expect(elapsedMs).toBe(0);
    expect(await stopAndDrain(lone)).toBe(0);
  });

  it('a stopped community refuses with reason stopped', async () => {
    await expect(gone.discovery.connectPeer(requester.host.key.publicKey.mid)).rejects.toMatchObject({ reason: 'stopped' });
  });
});

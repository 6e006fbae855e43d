import 'reflect-metadata';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { inject, injectable } from 'tsyringe';
import {
  Community,
  InvalidArgumentError,
  LifecycleError,
  OverlayHost,
  TOKENS,
  TimeoutError,
  communityIdFromName,
  defineMessage,
  defineRequest,
  defineSchema,
  t,
} from '../../../framework/index.js';
import type { CommunityContext, CommunitySettings, Incoming, RequestType } from '../../../framework/index.js';
import { simNet } from '../../helpers/memory-nodes.js';
import type { SimNet } from '../../helpers/memory-nodes.js';

const Echo = defineMessage({ id: 1, name: 'echo', signed: true, schema: defineSchema({ id: t.u64(), text: t.string({ max: 64 }) }) });
const EchoReply = defineMessage({
  id: 2,
  name: 'echo-reply',
  signed: true,
  schema: defineSchema({ id: t.u64(), text: t.string({ max: 64 }), length: t.u32() }),
});
const Shout = defineMessage({ id: 3, name: 'shout', signed: true, schema: defineSchema({ id: t.u64(), text: t.string({ max: 64 }) }) });
const Unanswered = defineMessage({ id: 4, name: 'unanswered', signed: false, schema: defineSchema({ id: t.u64() }) });
const UnansweredReply = defineMessage({ id: 5, name: 'unanswered-reply', signed: false, schema: defineSchema({ id: t.u64() }) });

const EchoRequest = defineRequest(Echo, EchoReply);
/** A second request answered by the same response message. */
const ShoutRequest = defineRequest(Shout, EchoReply);
/** A request type whose response handler the community never registers. */
const NoHandlerRequest = defineRequest(Unanswered, UnansweredReply);

@injectable()
class EchoCommunity extends Community {
  /** When true, requests are recorded but not answered. */
  silent = false;
  /** Ids of the requests received. */
  readonly seen: bigint[] = [];
  /** Responses that settled a request (the `onSettled` hook). */
  settled = 0;

  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: CommunitySettings) {
    super(ctx, communityIdFromName('test/typed-request'), { discovery: { walk: false, churn: false, ...settings.discovery } });
    this.handle(Echo, (m) => {
      this.seen.push(m.value.id);
      if (!this.silent) this.reply(m, EchoReply, { id: m.value.id, text: m.value.text, length: m.value.text.length });
    });
    this.handle(Shout, (m) => {
      this.reply(m, EchoReply, { id: m.value.id, text: m.value.text.toUpperCase(), length: m.value.text.length });
    });
    const onSettled = (): void => {
      this.settled++;
    };
    this.handleResponses(EchoRequest, onSettled);
    this.handleResponses(ShoutRequest, onSettled); // same response message, same hook: registered once
  }
}

/** Registers the handler of EchoReply a second time, with another hook: refused. */
@injectable()
class HandledTwice extends EchoCommunity {
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: CommunitySettings) {
    super(ctx, settings);
    this.handleResponses(EchoRequest);
  }
}

async function threeNodes(seed: number): Promise<{ net: SimNet; hosts: OverlayHost[]; nodes: EchoCommunity[] }> {
  const net = simNet(seed);
  const hosts: OverlayHost[] = [];
  for (let i = 0; i < 3; i++) hosts.push(await net.addHost({ setup: (h) => h.register(EchoCommunity) }));
  return { net, hosts, nodes: hosts.map((h) => h.get(EchoCommunity)) };
}

describe('typed requests (defineRequest, handleResponses, sendRequest)', () => {
  it('resolves with the decoded response, typed as the response message', async () => {
    const { net, hosts, nodes } = await threeNodes(11);
    const [a, b] = nodes as [EchoCommunity, EchoCommunity];
    const pending = a.sendRequest(hosts[1]!.endpoint.address, EchoRequest, { text: 'hello' });
    expectTypeOf(pending).resolves.toEqualTypeOf<Incoming<{ id: bigint; text: string; length: number }>>();
    expectTypeOf(EchoRequest).toEqualTypeOf<RequestType<{ id: bigint; text: string }, { id: bigint; text: string; length: number }>>();
    const m = await net.clock.settle(pending);
    expectTypeOf(m.value.length).toEqualTypeOf<number>();
    expect(m.value).toEqual({ id: b.seen[0], text: 'hello', length: 5 });
    expect(m.sender?.midHex).toBe(hosts[1]!.midHex);
    const shouted = await net.clock.settle(a.sendRequest(hosts[1]!.endpoint.address, ShoutRequest, { text: 'hi' }));
    expect(shouted.value.text).toBe('HI');
    expect(a.settled).toBe(2);
    expect(a.requests.size).toBe(0);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a response from another address does not settle the request; the one from the destination does', async () => {
    const { net, hosts, nodes } = await threeNodes(12);
    const [a, b, c] = nodes as [EchoCommunity, EchoCommunity, EchoCommunity];
    b.silent = true;
    let outcome: string | undefined;
    const pending = a.sendRequest(hosts[1]!.endpoint.address, EchoRequest, { text: 'to b' }, { timeoutMs: 10_000 });
    pending.then((m) => (outcome = m.value.text), () => (outcome = 'rejected'));
    await net.clock.advance(50);
    const id = b.seen[0]!;
    expect(id).toBeTypeOf('bigint');
    // A third node answers with the right id, from the wrong address.
    c.send(hosts[0]!.endpoint.address, EchoReply, { id, text: 'forged', length: 6 });
    await net.clock.advance(50);
    expect(a.stats.received['echo-reply']).toBe(1);
    expect(outcome).toBeUndefined();
    expect(a.requests.size).toBe(1);
    expect(a.settled).toBe(0);
    // The destination's answer settles it.
    b.send(hosts[0]!.endpoint.address, EchoReply, { id, text: 'from b', length: 6 });
    await net.clock.advance(50);
    expect(outcome).toBe('from b');
    expect(a.requests.size).toBe(0);
    expect(a.settled).toBe(1);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('a timeout rejects with TimeoutError and clears its timer', async () => {
    const { net, hosts, nodes } = await threeNodes(13);
    const [a, b] = nodes as [EchoCommunity, EchoCommunity];
    b.silent = true;
    await net.clock.advance(100);
    const timersBefore = net.clock.pendingTimers();
    const pending = a.sendRequest(hosts[1]!.endpoint.address, EchoRequest, { text: 'anyone?' }, { timeoutMs: 500 });
    const rejected = expect(pending).rejects.toBeInstanceOf(TimeoutError);
    await net.clock.advance(50); // the request reached b, which stays silent
    expect(b.seen).toHaveLength(1);
    expect(net.clock.pendingTimers()).toBe(timersBefore + 1);
    await net.clock.advance(449);
    expect(a.requests.size).toBe(1);
    await net.clock.advance(1);
    await rejected;
    expect(a.requests.size).toBe(0);
    expect(net.clock.pendingTimers()).toBe(timersBefore);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('refuses to send a request whose response has no handler, leaving nothing pending', async () => {
    const { net, hosts, nodes } = await threeNodes(14);
    const a = nodes[0]!;
    const timersBefore = net.clock.pendingTimers();
    expect(() => a.sendRequest(hosts[1]!.endpoint.address, NoHandlerRequest, {})).toThrow(LifecycleError);
    expect(() => a.sendRequest(hosts[1]!.endpoint.address, NoHandlerRequest, {})).toThrow(/handleResponses\(\) for unanswered/);
    expect(a.requests.size).toBe(0);
    expect(net.clock.pendingTimers()).toBe(timersBefore);
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('the deprecated form (a bare request message) still works and resolves to Incoming<unknown>', async () => {
    const { net, hosts, nodes } = await threeNodes(15);
    const a = nodes[0]!;
    const pending = a.sendRequest(hosts[1]!.endpoint.address, Echo, { text: 'old' });
    expectTypeOf(pending).resolves.toEqualTypeOf<Incoming<unknown>>();
    const m = await net.clock.settle(pending);
    expect(m.value).toMatchObject({ text: 'old', length: 3 });
    expect(await net.stopAndDrain()).toBe(0);
  });

  it('defineRequest and handleResponses refuse misuse', () => {
    expect(() => defineRequest(Echo, Echo)).toThrow(InvalidArgumentError);
    const NoId = defineMessage({ id: 9, name: 'no-id', schema: defineSchema({ x: t.u8() }) });
    // @ts-expect-error a response without an `id` field is refused by the types too
    expect(() => defineRequest(Echo, NoId)).toThrow(/no-id has no 'id' field/);
    const net = simNet(16);
    const host = new OverlayHost({ endpoint: net.network.createEndpoint(), clock: net.clock, random: net.random });
    expect(() => host.register(HandledTwice)).toThrow(InvalidArgumentError);
    expect(() => host.register(HandledTwice)).toThrow(/echo-reply are already handled with another onSettled/);
    expect(host.communities()).toHaveLength(0);
  });
});

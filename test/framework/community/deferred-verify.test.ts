/**
 * `deferredVerify` messages: the handler sees the claimed sender before any signature check, verifies only
 * when it asks, once, and a bad signature is then counted as a drop.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { inject, injectable } from 'tsyringe';
import {
  Community,
  InvalidArgumentError,
  PrivateKey,
  SeededRandom,
  TOKENS,
  communityIdFromName,
  defineMessage,
  defineSchema,
  encodePacket,
  t,
} from '../../../framework/index.js';
import type { CommunityContext, CommunitySettings, Incoming, PublicKey } from '../../../framework/index.js';
import { simNet } from '../../helpers/memory-nodes.js';

const Ask = defineMessage({ id: 1, name: 'ask', signed: true, deferredVerify: true, schema: defineSchema({ n: t.u32() }) });

interface Seen {
  sender: PublicKey | undefined;
  claimed: PublicKey | undefined;
  verified: PublicKey | undefined;
  again: PublicKey | undefined;
}

@injectable()
class AskCommunity extends Community {
  readonly seen: Seen[] = [];
  verifyOnOdd = true;
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: CommunitySettings) {
    super(ctx, communityIdFromName('test/deferred'), { ...settings, discovery: { walk: false, churn: false } });
    this.handle(Ask, (m: Incoming<{ n: number }>) => {
      const verified = m.value.n % 2 === 1 ? m.verifySender?.() : undefined;
      const again = m.value.n % 2 === 1 ? m.verifySender?.() : undefined;
      this.seen.push({ sender: m.sender, claimed: m.claimedSender, verified, again });
    });
  }
}

describe('deferredVerify messages', () => {
  it('needs a signed message', () => {
    expect(() => defineMessage({ id: 2, name: 'x', deferredVerify: true, schema: defineSchema({ n: t.u8() }) })).toThrow(InvalidArgumentError);
  });

  it('hand the claimed sender over unverified, verify on demand once, and count a bad signature', async () => {
    const net = simNet(41);
    const a = await net.addHost({ setup: (h) => h.register(AskCommunity) });
    const b = await net.addHost({ setup: (h) => h.register(AskCommunity) });
    const ca = a.get(AskCommunity);
    const cb = b.get(AskCommunity);
    const me = b.key.publicKey;
    let verifies = 0;
    const real = me.verify.bind(me);
    const keyInCache = ca.context.keys.get(me.toBinary())!;
    keyInCache.verify = (m: Uint8Array, s: Uint8Array): boolean => {
      verifies++;
      return real(m, s);
    };
    cb.send(a.endpoint.address, Ask, { n: 2 }); // not verified by the handler
    cb.send(a.endpoint.address, Ask, { n: 3 }); // verified (twice asked, checked once)
    const forger = PrivateKey.generate(new SeededRandom(5));
    const forged = encodePacket(cb.prefix, Ask, { n: 5 }, { publicKeyBinary: me.toBinary(), sign: (m) => forger.sign(m) });
    b.endpoint.send(a.endpoint.address, forged);
    await net.clock.advance(50);
    expect(ca.seen).toHaveLength(3);
    expect(ca.seen.map((s) => s.sender)).toEqual([undefined, undefined, undefined]);
    expect(ca.seen.every((s) => s.claimed?.midHex === me.midHex)).toBe(true);
    expect(ca.seen[1]!.verified?.midHex).toBe(me.midHex);
    expect(ca.seen[1]!.again).toBe(ca.seen[1]!.verified);
    expect(ca.seen[2]!.verified).toBeUndefined();
    expect(ca.seen[2]!.again).toBeUndefined();
    expect(verifies).toBe(2); // n=3 once, n=5 once; n=2 never
    expect(ca.stats.dropped['bad-signature']).toBe(1);
    await net.stopAll();
  });
});

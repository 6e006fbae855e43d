/**
 * Example: extend Peerlay with a custom community. A signed ping/pong request-response protocol.
 * `test/docs/examples.test.ts` runs it between two nodes over real UDP on 127.0.0.1.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { inject, injectable } from 'tsyringe';
import {
  Community,
  OverlayHost,
  TOKENS,
  UdpEndpoint,
  communityIdFromName,
  defineMessage,
  defineRequest,
  defineSchema,
  t,
} from '../../framework/index.js';
import type { Address, CommunityContext, CommunitySettings } from '../../framework/index.js';

/** 1. Declare each message once: an id (0..239), a name, whether it is signed, and a schema. */
export const Ping = defineMessage({
  id: 1,
  name: 'ping',
  signed: true,
  schema: defineSchema({ id: t.u64(), text: t.string({ max: 256 }) }),
});

/** The answer to a {@link Ping}, echoing its request id. */
export const Pong = defineMessage({
  id: 2,
  name: 'pong',
  signed: true,
  schema: defineSchema({ id: t.u64(), text: t.string({ max: 256 }) }),
});

/** A ping is answered by a pong: `sendRequest(to, PingPong, body)` then resolves to the pong, typed. */
export const PingPong = defineRequest(Ping, Pong);

/** Events this community adds to the base ones. */
export interface PingPongEvents {
  /** Someone pinged us. */
  'ping:received': [from: Address, text: string];
}

/** 2. Subclass Community; every constructor parameter carries an explicit `@inject` token. */
@injectable()
export class PingPongCommunity extends Community<PingPongEvents> {
  /** The community id: both sides derive it from the same name. */
  static readonly ID = communityIdFromName('peerlay/examples/ping-pong/v1');

  /** @param ctx the node's services. @param settings common community settings. */
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: CommunitySettings) {
    super(ctx, PingPongCommunity.ID, settings);
    // 3. One handler per message. Handlers only ever see decoded, verified, schema-valid values.
    this.handle(Ping, (m) => {
      this.emit('ping:received', m.from, m.value.text);
      // reply() answers at the source, tagged for the sender when the ping was tagged, else signed.
      this.reply(m, Pong, { id: m.value.id, text: m.value.text });
    });
    // A pong settles the ping whose id it echoes, only if it came from the address we pinged.
    this.handleResponses(PingPong);
  }

  /**
   * 4. A public API method: ping `to` and resolve with the echoed text (rejects on timeout or abort).
   * `sendRequest` gives the request its id, a timeout and the address tag, and resolves to the typed pong;
   * pass `recipient` (the peer's key, when known) to have the ping tagged for it instead of signed.
   */
  async ping(to: Address, text: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const pong = await this.sendRequest(to, PingPong, { text }, { timeoutMs: options.timeoutMs ?? 2_000, signal: options.signal });
    return pong.value.text;
  }
}

// Run on its own: `node dist/docs/examples/ping-pong.js` (tests import this module instead, which runs nothing).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Two nodes on UDP loopback; one pings the other three times.
  const a = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }) });
  const b = new OverlayHost({ endpoint: new UdpEndpoint({ host: '127.0.0.1', port: 0 }) });
  a.register(PingPongCommunity).on('ping:received', (from, text) => console.log(`a heard ${JSON.stringify(text)} from ${from.host}:${from.port}`));
  const pb = b.register(PingPongCommunity);
  await a.start();
  await b.start();
  try {
    for (const text of ['one', 'two', 'three']) console.log(`b got back ${JSON.stringify(await pb.ping(a.endpoint.address, text))}`);
  } finally {
    await b.stop();
    await a.stop();
  }
}

import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { inject, injectable } from 'tsyringe';
import type { DependencyContainer } from 'tsyringe';
import { Community, LifecycleError, MissingDependencyError, OverlayHost, TOKENS, communityIdFromName } from '../../../framework/index.js';
import type { CommunityContext, CommunitySettings } from '../../../framework/index.js';
import { simNet } from '../../helpers/memory-nodes.js';

const started: string[] = [];

/** A community others build on, as a user would write one (README: "Write your own community"). */
@injectable()
class NamesCommunity extends Community {
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: CommunitySettings) {
    super(ctx, communityIdFromName('test/requires/names'), settings);
  }

  protected override async onStart(): Promise<void> {
    started.push(this.name);
  }
}

/** Declares what it injects. */
@injectable()
class GreeterCommunity extends Community {
  static override readonly requires = [NamesCommunity];

  constructor(
    @inject(TOKENS.Context) ctx: CommunityContext,
    @inject(NamesCommunity) readonly names: NamesCommunity,
    @inject(TOKENS.Settings) settings: CommunitySettings,
  ) {
    super(ctx, communityIdFromName('test/requires/greeter'), settings);
  }

  protected override async onStart(): Promise<void> {
    started.push(`${this.name} (names running: ${this.names.isRunning})`);
  }
}

/** Injects a community without declaring it in `requires`. */
@injectable()
class UndeclaredCommunity extends Community {
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(NamesCommunity) readonly names: NamesCommunity) {
    super(ctx, communityIdFromName('test/requires/undeclared'));
  }
}

/** Gets a community through a token the host cannot see through (a factory), without declaring it. */
const NAMES = Symbol('names');
@injectable()
class FactoryFedCommunity extends Community {
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(NAMES) readonly names: NamesCommunity) {
    super(ctx, communityIdFromName('test/requires/factory-fed'));
  }
}

function newHost(seed: number): OverlayHost {
  const net = simNet(seed);
  return new OverlayHost({ endpoint: net.network.createEndpoint(), clock: net.clock, random: net.random });
}

describe('Community.requires, checked by OverlayHost.register and start', () => {
  it('a user community registered before the community it requires throws MissingDependencyError naming the fix', () => {
    const host = newHost(1);
    let error: unknown;
    try {
      host.register(GreeterCommunity);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect(error).toBeInstanceOf(LifecycleError);
    expect((error as Error).message).toBe(
      'GreeterCommunity needs NamesCommunity: call host.register(NamesCommunity) before host.register(GreeterCommunity)',
    );
    expect(error).toMatchObject({ name: 'MissingDependencyError', community: 'GreeterCommunity', missing: 'NamesCommunity' });
    expect(host.communities()).toHaveLength(0);
  });

  it('registered in the right order, it gets the registered instance, which starts first', async () => {
    started.length = 0;
    const host = newHost(2);
    const names = host.register(NamesCommunity);
    const greeter = host.register(GreeterCommunity);
    expect(greeter.names).toBe(names);
    expect(host.communities()).toEqual([names, greeter]);
    await host.start();
    expect(started).toEqual(['NamesCommunity', 'GreeterCommunity (names running: true)']);
    expect(greeter.isRunning).toBe(true);
    await host.stop();
    expect(names.isRunning).toBe(false);
  });

  it('a community injected without being declared in requires is checked too', () => {
    const host = newHost(3);
    expect(() => host.register(UndeclaredCommunity)).toThrow(
      'UndeclaredCommunity needs NamesCommunity: call host.register(NamesCommunity) before host.register(UndeclaredCommunity)',
    );
    const names = host.register(NamesCommunity);
    expect(host.register(UndeclaredCommunity).names).toBe(names);
  });

  it('after construction, a community built by tsyringe instead of the registered one is refused', () => {
    const host = newHost(4);
    host.container.register(NAMES, { useFactory: (c: DependencyContainer) => c.resolve(NamesCommunity) });
    expect(() => host.register(FactoryFedCommunity)).toThrow(
      'FactoryFedCommunity needs NamesCommunity: call host.register(NamesCommunity) before host.register(FactoryFedCommunity)',
    );
    expect(host.communities()).toHaveLength(0);
    const names = host.register(NamesCommunity);
    expect(host.register(FactoryFedCommunity).names).toBe(names);
  });

  it('requires names the exact class: a registered subclass does not stand in for it', () => {
    @injectable()
    class OtherNames extends NamesCommunity {
      constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(TOKENS.Settings) settings: CommunitySettings) {
        super(ctx, settings);
      }
    }
    const host = newHost(5);
    host.register(OtherNames);
    expect(() => host.register(GreeterCommunity)).toThrow(MissingDependencyError);
  });
});

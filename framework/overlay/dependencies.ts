/**
 * The communities a community class depends on, so {@link OverlayHost.register} can refuse a class whose
 * dependencies are not registered yet instead of letting tsyringe build an orphan copy of them (one that
 * is never registered, never started, and answers `stopped` later).
 *
 * A class declares them in its static {@link Community.requires}; as a second line of defence, every
 * community class among its constructor's `@inject` tokens counts too, and after construction no
 * community the new one holds may be one the host did not register.
 * @module
 */
import 'reflect-metadata';
import type { CommunityClass, OverlayCommunity } from '../community/overlay-community.js';

/** Where tsyringe keeps the `@inject` tokens of a constructor's parameters (by parameter index). */
const INJECTION_TOKENS_METADATA = 'injectionTokens';

/**
 * The community classes `cls` needs registered before it: its declared `requires`, then any community
 * class injected into its constructor (with `@inject(SomeCommunity)`, or by type under
 * `emitDecoratorMetadata`) that it did not declare. Each class once, in that order.
 */
export function communityDependencies(cls: CommunityClass): CommunityClass[] {
  const out: CommunityClass[] = [];
  const add = (dep: unknown): void => {
    if (isCommunityClass(dep) && dep !== cls && !out.includes(dep)) out.push(dep);
  };
  for (const dep of cls.requires ?? []) add(dep);
  const types: unknown = Reflect.getMetadata('design:paramtypes', cls);
  if (Array.isArray(types)) for (const t of types) add(t);
  const tokens: unknown = Reflect.getOwnMetadata(INJECTION_TOKENS_METADATA, cls);
  if (typeof tokens === 'object' && tokens !== null) for (const t of Object.values(tokens)) add(tokenOf(t));
  return out;
}

/**
 * The communities held in `community`'s own properties that are not in `registered` (other than itself):
 * a dependency tsyringe built on its own, so not the instance the host runs.
 */
export function unregisteredCommunities(community: OverlayCommunity, registered: readonly OverlayCommunity[]): OverlayCommunity[] {
  return Object.values(community).filter((v): v is OverlayCommunity => v !== community && isCommunity(v) && !registered.includes(v));
}

/** The class of a community, for messages. */
export function classOf(community: OverlayCommunity): CommunityClass {
  return community.constructor as CommunityClass;
}

/** The token of one `@inject` metadata entry (a bare token, `{ token }`, or a `delay(() => X)` wrapper). */
function tokenOf(entry: unknown): unknown {
  const token = typeof entry === 'object' && entry !== null && 'token' in entry ? entry.token : entry;
  if (typeof token === 'object' && token !== null && 'wrap' in token && typeof token.wrap === 'function') {
    return (token.wrap as () => unknown)();
  }
  return token;
}

/** True if `x` is a class whose instances are communities (they receive packets, start and stop). */
function isCommunityClass(x: unknown): x is CommunityClass {
  if (typeof x !== 'function') return false;
  const proto: unknown = x.prototype;
  return typeof proto === 'object' && proto !== null && hasMethods(proto);
}

/** True if `x` looks like an {@link OverlayCommunity}. */
function isCommunity(x: unknown): x is OverlayCommunity {
  return typeof x === 'object' && x !== null && 'prefix' in x && x.prefix instanceof Uint8Array && hasMethods(x);
}

function hasMethods(x: object): boolean {
  const o = x as { receive?: unknown; start?: unknown; stop?: unknown };
  return typeof o.receive === 'function' && typeof o.start === 'function' && typeof o.stop === 'function';
}

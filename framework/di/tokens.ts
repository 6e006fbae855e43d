/**
 * Injection tokens: every constructor parameter of an injectable Peerlay class carries `@inject(TOKENS.X)`.
 * One child container per node holds that node's instances.
 * @module
 */

/** The tokens the overlay host registers in each node's container. */
export const TOKENS = {
  /** The node's {@link Clock}. */
  Clock: Symbol.for('peerlay.Clock'),
  /** The node's {@link Random} source. */
  Random: Symbol.for('peerlay.Random'),
  /** The node's {@link Endpoint}. */
  Endpoint: Symbol.for('peerlay.Endpoint'),
  /** The node's {@link PrivateKey}. */
  PrivateKey: Symbol.for('peerlay.PrivateKey'),
  /** The node's {@link CommunityContext}: everything a community needs from its node. */
  Context: Symbol.for('peerlay.Context'),
  /** The settings object given to {@link OverlayHost.register} for the community being built. */
  Settings: Symbol.for('peerlay.Settings'),
  /** The node's {@link Logger}. */
  Logger: Symbol.for('peerlay.Logger'),
} as const;

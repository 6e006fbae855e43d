/**
 * The namespace community: signed, sequence-numbered values under a publisher's key (BEP 44 style).
 * @module
 */
export { NAMESPACE_COMMUNITY_ID, NamespaceCommunity } from './community.js';
export type { NamespaceEvents, NamespaceValue, SetOptions, SetOutcome } from './community.js';
export { NamespaceError } from './errors.js';
export { NamespaceMessages, namespacePolicy, NamespaceRecordWire } from './policy.js';
export type { NamespacePolicyLimits, NamespaceRecordWireValue } from './policy.js';
export { checkNamespaceRecord, MAX_NAMESPACE_KEY_BYTES, NAMESPACE_SIGNATURE_DOMAIN, namespaceLocation, namespaceSignedMessage, signNamespaceRecord } from './record.js';
export type { NamespaceRecord, NamespaceRecordCheck } from './record.js';
export type { NamespaceSettings, ResolvedNamespaceSettings } from './settings.js';
export { resolveNamespaceSettings } from './settings.js';

/**
 * The dictionary community: subkey dictionaries (hivemind's `store(key, subkey, value, expiration_time)` and
 * `get(key)`), owned or open subkeys, the later expiration wins, paged reads merged across storers.
 * @module
 */
export { DICT_COMMUNITY_ID, DictCommunity } from './community.js';
export type { DictEvents, DictSetOptions, DictSetOutcome } from './community.js';
export { DictError } from './errors.js';
export type { DictEntry, DictGetOptions, DictPage } from './page.js';
export { DictEntryWire, DictMessages, dictPolicy, OPEN_CLASS, WIRE_MAX_DICT_VALUE_BYTES, WIRE_MAX_SUBKEY_BYTES } from './policy.js';
export type { DictEntryWireValue, DictPolicyLimits } from './policy.js';
export { checkDictRecord, DICT_SIGNATURE_DOMAIN, dictSignedMessage, openDictRecord, signDictRecord, SUBKEY_ID_BYTES, subkeyId } from './record.js';
export type { DictFields, DictRecord, DictRecordCheck } from './record.js';
export type { DictSettings, ResolvedDictSettings } from './settings.js';
export { MAX_GET_LIMIT, resolveDictSettings } from './settings.js';

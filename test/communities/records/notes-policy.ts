/**
 * A toy record type written only against the record engine's public API, as docs/records.md shows it:
 * notes, unsigned text content-addressed under a topic. It gets storage, quotas, replication, paging and
 * persistence from the engine without a line of its own for any of them.
 */
import 'reflect-metadata';
import { sha256 } from '@noble/hashes/sha2.js';
import { inject, injectable } from 'tsyringe';
import { TOKENS, communityIdFromName, defineSchema, equalBytes, t, utf8 } from '../../../framework/index.js';
import type { CommunityContext, Infer } from '../../../framework/index.js';
import { DHTCommunity, DHTError, RecordCommunity, defineRecordMessages, hashKey, resolveRecordSettings } from '../../../communities/dht/index.js';
import type { PublishOutcome, RecordPolicy, RecordSettings } from '../../../communities/dht/index.js';

// docs:start policy
/** A note: some text under a topic (a 20-byte DHT key). */
export interface Note {
  readonly topic: Uint8Array;
  readonly text: Uint8Array;
}

/** A note on the wire (its topic travels once per message). */
export const NoteWire = defineSchema({ text: t.bytes({ max: 512 }) });

/** The notes type: anyone may add a note; a note's id is the hash of its text, so it is its own version. */
export const notesPolicy: RecordPolicy<Note, Infer<typeof NoteWire>> = {
  name: 'notes',
  wire: NoteWire,
  limits: { maxRecordBytes: 300, maxPerLocation: { default: 500 }, maxPerGroupPerLocation: 200, maxTtlMs: 3_600_000 },
  toWire: (n) => ({ text: n.text }),
  fromWire: (topic, w) => ({ topic, text: w.text }),
  wellFormed: (n) => n.topic instanceof Uint8Array && n.topic.length === 20 && n.text instanceof Uint8Array,
  location: (n) => n.topic,
  id: (n) => sha256(n.text),
  publisher: () => undefined,
  check: (n, location) => (equalBytes(n.topic, location) ? 'valid' : 'invalid'),
  version: () => 0,
  same: (a, b) => equalBytes(a.text, b.text),
  size: (n) => n.text.length,
};

/** The notes messages, ids 1-4 of the notes community. */
export const NotesMessages = defineRecordMessages(NoteWire, { prefix: 'notes', ids: [1, 2, 3, 4] });
// docs:end

// docs:start community

/** A community that hosts the notes type. */
@injectable()
export class NotesCommunity extends RecordCommunity<Note, Infer<typeof NoteWire>> {
  constructor(@inject(TOKENS.Context) ctx: CommunityContext, @inject(DHTCommunity) dht: DHTCommunity, @inject(TOKENS.Settings) settings: RecordSettings) {
    const s = resolveRecordSettings({ replicateIntervalMs: 600_000, ...settings }, DHTError); // lifetimes, upkeep, store caps, datastore
    super(ctx, communityIdFromName('test/notes/v1'), dht, s, { policy: notesPolicy, messages: NotesMessages, error: DHTError });
  }

  /** Adds a note under `topic`. */
  add(topic: string, text: string): Promise<PublishOutcome> {
    return this.run(() => this.publishOwn({ topic: hashKey(topic), text: utf8(text) }, { ttlMs: this.checkTtl(undefined), republish: 'keep-alive' }, 'note'));
  }

  /** Every note under `topic`. */
  read(topic: string): Promise<string[]> {
    return this.run(async () => {
      const { records } = await this.engine.read(hashKey(topic), { limit: 1_000 });
      return records.map((r) => new TextDecoder().decode(r.record.text));
    });
  }
}
// docs:end

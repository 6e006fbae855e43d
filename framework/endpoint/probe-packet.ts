/**
 * The probe datagram of birthday probing: 8 fixed bytes that open NAT mappings and tell a probe socket
 * that a path works, optionally followed by an 8-byte tag that names the spray it belongs to (a probe
 * socket that is hit echoes the probe it got, so the sprayer learns which of its sprays was hit). It
 * starts with 0xff, which no overlay packet does (those start with the 0x00 of their prefix), so a probe
 * that reaches an overlay by mistake is dropped as an unknown prefix.
 * @module
 */

/** The probe datagram without a tag: 0xff then `PLPROBE` in ASCII. */
export const PROBE_BYTES: Uint8Array = Uint8Array.of(0xff, 0x50, 0x4c, 0x50, 0x52, 0x4f, 0x42, 0x45);

/** Length of a probe's optional tag, in bytes. */
export const PROBE_TAG_BYTES = 8;

/** True when `data` is a probe: {@link PROBE_BYTES}, alone or followed by a tag. */
export function isProbe(data: Uint8Array): boolean {
  if (data.length !== PROBE_BYTES.length && data.length !== PROBE_BYTES.length + PROBE_TAG_BYTES) return false;
  for (let i = 0; i < PROBE_BYTES.length; i++) if (data[i] !== PROBE_BYTES[i]) return false;
  return true;
}

/** A probe carrying `tag` ({@link PROBE_TAG_BYTES} bytes). */
export function taggedProbe(tag: Uint8Array): Uint8Array {
  const out = new Uint8Array(PROBE_BYTES.length + PROBE_TAG_BYTES);
  out.set(PROBE_BYTES);
  out.set(tag.subarray(0, PROBE_TAG_BYTES), PROBE_BYTES.length);
  return out;
}

/** The tag of a probe as hex, or `undefined` for a probe without one. */
export function probeTag(data: Uint8Array): string | undefined {
  if (data.length !== PROBE_BYTES.length + PROBE_TAG_BYTES) return undefined;
  let hex = '';
  for (let i = PROBE_BYTES.length; i < data.length; i++) hex += data[i]!.toString(16).padStart(2, '0');
  return hex;
}

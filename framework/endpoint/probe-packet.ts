/**
 * The probe datagram of birthday probing: 8 fixed bytes that open NAT mappings and tell a probe socket
 * that a path works. It starts with 0xff, which no overlay packet does (those start with the 0x00 of
 * their prefix), so a probe that reaches an overlay by mistake is dropped as an unknown prefix.
 * @module
 */

/** The probe datagram: 0xff then `PLPROBE` in ASCII. */
export const PROBE_BYTES: Uint8Array = Uint8Array.of(0xff, 0x50, 0x4c, 0x50, 0x52, 0x4f, 0x42, 0x45);

/** True when `data` is exactly {@link PROBE_BYTES}. */
export function isProbe(data: Uint8Array): boolean {
  if (data.length !== PROBE_BYTES.length) return false;
  for (let i = 0; i < data.length; i++) if (data[i] !== PROBE_BYTES[i]) return false;
  return true;
}

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as OP_MSG's optional checksum
 * uses (OP_MSG spec, "Checksum"). Table-driven, one byte at a time: checksums are rare
 * on the wire (drivers do not send them over TLS or by default), so simplicity wins.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A streaming reader of packet capture files: classic pcap (microsecond and nanosecond
 * variants, either byte order) and pcapng (sections of either byte order, interface
 * descriptions with their timestamp resolution and offset, enhanced, simple and
 * obsolete packet blocks). Formats: tcpdump.org pcap-savefile(5) and the pcapng IETF
 * draft (draft-ietf-opsawg-pcapng), sections 4.1-4.4 and 4.6.
 *
 * Bytes are pushed in chunks as they arrive (a file, or tcpdump writing to stdout), and
 * packets come out through a callback, their data a `subarray` of the buffered input.
 * Nothing here throws on any input: a damaged or unknown structure is reported once
 * through `onIssue`; a pcapng block of a known length is skipped and reading goes on,
 * anything that loses the framing stops the reader (`stopped`). `end()` says whether
 * the input ended inside a record (tcpdump killed mid-write).
 */

export interface CapturedPacket {
  /** LINKTYPE_ value of the interface the packet was captured on. */
  readonly linkType: number;
  /** Capture time, microseconds since the Unix epoch. */
  readonly tsUs: number;
  /** The captured bytes (possibly fewer than `origLen` when the snap length cut them). */
  readonly data: Buffer;
  readonly origLen: number;
  /** Packet number in the file, from 1. */
  readonly index: number;
}

export interface FileIssue {
  /** Byte offset in the input where the problem is. */
  readonly at: number;
  readonly code: 'MC_INGEST_PCAP_NOT_A_CAPTURE' | 'MC_INGEST_PCAP_CORRUPT' | 'MC_INGEST_PCAP_BAD_BLOCK';
  readonly message: string;
  /** True when reading cannot go on past this point. */
  readonly fatal: boolean;
}

export type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcapng';

/** Records or blocks larger than this are corruption: tcpdump's largest snap length is 256 KiB, pcapng blocks carry one packet. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const BLOCK_IDB = 1;
const BLOCK_OPB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

interface Interface {
  readonly linkType: number;
  readonly snapLen: number;
  /** Timestamp units per second (10^6 by default). */
  readonly unitsPerSecond: number;
  readonly offsetSeconds: number;
}

export class CaptureFileParser {
  /** Unconsumed input; `pos` is where the next structure starts in it. */
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Input offset of `buf[0]`. */
  private base = 0;
  private format: CaptureFormat | undefined;
  private le = true;
  private pcapLinkType = 0;
  private interfaces: Interface[] = [];
  private lastTsUs = 0;
  private packets = 0;
  stopped = false;

  constructor(
    private readonly onPacket: (p: CapturedPacket) => void,
    private readonly onIssue: (i: FileIssue) => void,
  ) {}

  get detected(): CaptureFormat | undefined {
    return this.format;
  }

  /** Bytes consumed so far (for "cut at byte N"). */
  get offset(): number {
    return this.base + this.pos;
  }

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    let off = 0;
    // A structure cut by the previous chunk's end: complete it with just the bytes it needs,
    // not the whole chunk (copying every 1 MiB chunk was a fifth of the ingest's CPU).
    while (this.pos < this.buf.length && off < chunk.length && !this.stopped) {
      const have = this.buf.length - this.pos;
      const take = Math.min(Math.max(this.needed(), have + 1) - have, chunk.length - off);
      this.base += this.pos;
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk.subarray(off, off + take)]);
      this.pos = 0;
      off += take;
      this.run();
    }
    if (off >= chunk.length || this.stopped) return;
    this.base += this.buf.length;
    this.buf = off === 0 ? chunk : chunk.subarray(off);
    this.pos = 0;
    this.run();
  }

  /** Bytes from `pos` the next structure needs before it can be read (at least its fixed header). */
  private needed(): number {
    const have = this.buf.length - this.pos;
    if (this.format === undefined) return have < 4 ? 4 : 24;
    if (this.format !== 'pcapng') {
      if (have < 16) return 16;
      const incl = this.u32(this.pos + 8);
      return incl > MAX_RECORD_BYTES ? 16 : 16 + incl;
    }
    if (have < 12) return 12;
    let le = this.le;
    if (this.buf.readUInt32LE(this.pos) === PCAPNG_SHB) le = this.buf.readUInt32LE(this.pos + 8) === PCAPNG_BOM;
    const length = le ? this.buf.readUInt32LE(this.pos + 4) : this.buf.readUInt32BE(this.pos + 4);
    return length < 12 || length > MAX_RECORD_BYTES ? 12 : length;
  }

  /**
   * The input is over. Returns a description of where it was cut when it ended inside
   * a header, record or block, else undefined.
   */
  end(): string | undefined {
    if (this.stopped) return undefined;
    const left = this.buf.length - this.pos;
    if (left === 0 && this.format !== undefined) return undefined;
    if (this.format === undefined) {
      this.fail(0, 'MC_INGEST_PCAP_NOT_A_CAPTURE', left === 0 ? 'the input is empty' : `${left} bytes, too few for a capture file header`);
      return undefined;
    }
    return `the input ends ${left} bytes into a ${this.format === 'pcapng' ? 'block' : 'packet record'} after packet ${this.packets}`;
  }

  private run(): void {
    while (!this.stopped) {
      const progressed = this.format === undefined ? this.readFileStart() : this.format === 'pcapng' ? this.readBlock() : this.readRecord();
      if (!progressed) return;
    }
  }

  private u32(at: number): number {
    return this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }

  private u16(at: number): number {
    return this.le ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }

  private fail(at: number, code: FileIssue['code'], message: string): void {
    this.stopped = true;
    this.onIssue({ at, code, message, fatal: true });
  }

  private readFileStart(): boolean {
    const avail = this.buf.length - this.pos;
    if (avail < 4) return false;
    const magicLe = this.buf.readUInt32LE(this.pos);
    const magicBe = this.buf.readUInt32BE(this.pos);
    if (magicLe === PCAPNG_SHB) {
      this.format = 'pcapng';
      return true;
    }
    let ns: boolean;
    if (magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS) {
      this.le = true;
      ns = magicLe === PCAP_MAGIC_NS;
    } else if (magicBe === PCAP_MAGIC_US || magicBe === PCAP_MAGIC_NS) {
      this.le = false;
      ns = magicBe === PCAP_MAGIC_NS;
    } else {
      this.fail(this.offset, 'MC_INGEST_PCAP_NOT_A_CAPTURE', `magic 0x${magicBe.toString(16).padStart(8, '0')} is neither pcap nor pcapng`);
      return false;
    }
    if (avail < 24) return false;
    // Bits 16-31 of the link-type field carry FCS flags (pcap-savefile(5)); the type is the low 16.
    this.pcapLinkType = this.u32(this.pos + 20) & 0xffff;
    this.format = ns ? 'pcap-ns' : 'pcap';
    this.pos += 24;
    return true;
  }

  private readRecord(): boolean {
    const at = this.pos;
    if (this.buf.length - at < 16) return false;
    const sec = this.u32(at);
    const frac = this.u32(at + 4);
    const incl = this.u32(at + 8);
    const orig = this.u32(at + 12);
    if (incl > MAX_RECORD_BYTES) {
      this.fail(this.base + at, 'MC_INGEST_PCAP_CORRUPT', `packet record ${this.packets + 1} claims ${incl} captured bytes (over ${MAX_RECORD_BYTES}): the file is damaged`);
      return false;
    }
    if (this.buf.length - at - 16 < incl) return false;
    const tsUs = sec * 1_000_000 + (this.format === 'pcap-ns' ? Math.floor(frac / 1000) : frac);
    this.pos = at + 16 + incl;
    this.emit(this.pcapLinkType, tsUs, this.buf.subarray(at + 16, at + 16 + incl), Math.max(orig, incl));
    return true;
  }

  private emit(linkType: number, tsUs: number, data: Buffer, origLen: number): void {
    this.lastTsUs = tsUs;
    this.onPacket({ linkType, tsUs, data, origLen, index: ++this.packets });
  }

  private readBlock(): boolean {
    const at = this.pos;
    if (this.buf.length - at < 12) return false;
    const typeLe = this.buf.readUInt32LE(at);
    if (typeLe === PCAPNG_SHB) {
      // The section's byte order is in its header: read it before the length.
      const bom = this.buf.readUInt32LE(at + 8);
      if (bom === PCAPNG_BOM) this.le = true;
      else if (this.buf.readUInt32BE(at + 8) === PCAPNG_BOM) this.le = false;
      else {
        this.fail(this.base + at, 'MC_INGEST_PCAP_CORRUPT', `section header block with byte-order magic 0x${bom.toString(16)}: the file is damaged`);
        return false;
      }
    }
    const type = this.u32(at);
    const length = this.u32(at + 4);
    if (length < 12 || length % 4 !== 0 || length > MAX_RECORD_BYTES) {
      this.fail(this.base + at, 'MC_INGEST_PCAP_CORRUPT', `block of type ${type} with length ${length}: the file is damaged`);
      return false;
    }
    if (this.buf.length - at < length) return false;
    if (this.u32(at + length - 4) !== length) {
      this.fail(this.base + at, 'MC_INGEST_PCAP_CORRUPT', `block of type ${type}: trailing length differs from ${length}: the file is damaged`);
      return false;
    }
    this.pos = at + length;
    const body = at + 8;
    const bodyEnd = at + length - 4;
    switch (type) {
      case PCAPNG_SHB:
        this.interfaces = [];
        break;
      case BLOCK_IDB:
        this.readInterface(body, bodyEnd);
        break;
      case BLOCK_EPB:
      case BLOCK_OPB:
        this.readPacketBlock(type, body, bodyEnd);
        break;
      case BLOCK_SPB:
        this.readSimplePacket(body, bodyEnd);
        break;
      default:
        // Name resolution, statistics, decryption secrets, custom blocks: nothing for us.
        break;
    }
    return true;
  }

  private badBlock(at: number, message: string): void {
    this.onIssue({ at: this.base + at, code: 'MC_INGEST_PCAP_BAD_BLOCK', message, fatal: false });
  }

  private readInterface(body: number, end: number): void {
    if (end - body < 8) {
      this.badBlock(body - 8, 'interface description block too short; its packets will be skipped');
      this.interfaces.push({ linkType: -1, snapLen: 0, unitsPerSecond: 1e6, offsetSeconds: 0 });
      return;
    }
    const linkType = this.u16(body);
    const snapLen = this.u32(body + 4);
    let unitsPerSecond = 1e6;
    let offsetSeconds = 0;
    let o = body + 8;
    while (o + 4 <= end) {
      const code = this.u16(o);
      const len = this.u16(o + 2);
      const value = o + 4;
      if (code === 0 || value + len > end) break;
      if (code === OPT_IF_TSRESOL && len >= 1) {
        const v = this.buf[value]!;
        const exp = v & 0x7f;
        // MSB clear: 10^-v; set: 2^-v. Past 10^-15 / 2^-50 the units are below a femtosecond: treat as damage, keep µs.
        if ((v & 0x80) === 0 && exp <= 15) unitsPerSecond = 10 ** exp;
        else if ((v & 0x80) !== 0 && exp <= 50) unitsPerSecond = 2 ** exp;
      } else if (code === OPT_IF_TSOFFSET && len >= 8) {
        const hi = this.le ? this.buf.readInt32LE(value + 4) : this.buf.readInt32BE(value);
        const lo = this.le ? this.buf.readUInt32LE(value) : this.buf.readUInt32BE(value + 4);
        offsetSeconds = hi * 4294967296 + lo;
      }
      o = value + ((len + 3) & ~3);
    }
    this.interfaces.push({ linkType, snapLen, unitsPerSecond, offsetSeconds });
  }

  private readPacketBlock(type: number, body: number, end: number): void {
    if (end - body < 20) {
      this.badBlock(body - 8, 'packet block too short; skipped');
      return;
    }
    const ifIndex = type === BLOCK_EPB ? this.u32(body) : this.u16(body);
    const hi = this.u32(body + 4);
    const lo = this.u32(body + 8);
    const capLen = this.u32(body + 12);
    const origLen = this.u32(body + 16);
    const data = body + 20;
    const iface = this.interfaces[ifIndex];
    if (!iface) {
      this.badBlock(body - 8, `packet block names interface ${ifIndex}, which the section does not describe; skipped`);
      return;
    }
    if (capLen > end - data) {
      this.badBlock(body - 8, `packet block claims ${capLen} captured bytes but holds ${end - data}; skipped`);
      return;
    }
    this.emit(iface.linkType, toMicros(hi, lo, iface), this.buf.subarray(data, data + capLen), Math.max(origLen, capLen));
  }

  private readSimplePacket(body: number, end: number): void {
    const iface = this.interfaces[0];
    if (end - body < 4 || !iface) {
      this.badBlock(body - 8, iface ? 'simple packet block too short; skipped' : 'simple packet block before any interface description; skipped');
      return;
    }
    const origLen = this.u32(body);
    // The captured length is not stored: the original length, cut by the snap length and the block (pcapng 4.4).
    let capLen = Math.min(origLen, end - body - 4);
    if (iface.snapLen > 0) capLen = Math.min(capLen, iface.snapLen);
    // No timestamp in a simple packet block: it takes the previous packet's.
    this.emit(iface.linkType, this.lastTsUs, this.buf.subarray(body + 4, body + 4 + capLen), origLen);
  }
}

function toMicros(hi: number, lo: number, iface: Interface): number {
  const offsetUs = iface.offsetSeconds * 1_000_000;
  if (iface.unitsPerSecond === 1e6) return hi * 4294967296 + lo + offsetUs;
  // Nanosecond (and other) units exceed 2^53 on today's clock: divide exactly.
  const units = (BigInt(hi) << 32n) | BigInt(lo);
  if (Number.isInteger(iface.unitsPerSecond)) return Number((units * 1_000_000n) / BigInt(iface.unitsPerSecond)) + offsetUs;
  return Math.floor((Number(units) / iface.unitsPerSecond) * 1e6) + offsetUs;
}

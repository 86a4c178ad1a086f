import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { IngestInputError } from '../../../errors.ts';
import type { IngestIssue } from '../summary.ts';
import { extendCrc32c } from './crc32c-stream.ts';
import type { InputCut } from '../../../store/footer.ts';
import { detectLayout, readPacket, type PacketLayout, type TimeBase, type TrafficPacket } from './packet.ts';

/**
 * Where a recording's packets are. 4.2 writes one file, named by `startRecordingTraffic`'s
 * `filename`, into `trafficRecordingDirectory`. Later servers write a directory of
 * `<epoch-ms>.bin` files (rotated at `maxFileSize`) plus `checksum.txt`, one line per
 * file: `<path>\t<crc32c hex>`, the CRC-32C of the whole file.
 */
export interface RecordingFile {
  readonly path: string;
  /** Expected CRC-32C from checksum.txt, when there is one. */
  readonly crc32c?: number;
  /** Epoch ms from a `<ms>.bin` name: the time base of offset-timed packets. */
  readonly startMs?: number;
  /** checksum.txt exists but has no line for this file. */
  readonly unlisted?: boolean;
}

export async function listRecording(path: string): Promise<RecordingFile[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new IngestInputError(`${path}: cannot read traffic recording (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  if (!info.isDirectory()) return [{ path, ...startOf(path) }];
  const names = (await readdir(path)).filter((n) => n !== 'checksum.txt' && !n.startsWith('.'));
  const sums = await readChecksums(join(path, 'checksum.txt'));
  // Rotated files are named by the time they were opened: numeric order is time order.
  names.sort((a, b) => (Number.parseInt(a, 10) || 0) - (Number.parseInt(b, 10) || 0) || a.localeCompare(b));
  const files: RecordingFile[] = [];
  for (const n of names) {
    const p = join(path, n);
    if (!(await stat(p)).isFile()) continue;
    const crc = sums.get(n);
    files.push({ path: p, ...startOf(p), ...(crc !== undefined ? { crc32c: crc } : sums.size > 0 ? { unlisted: true } : {}) });
  }
  if (files.length === 0) throw new IngestInputError(`${path}: no recording files in this directory`);
  return files;
}

function startOf(p: string): { startMs?: number } {
  const m = /^(\d{12,14})\.bin$/.exec(basename(p));
  return m ? { startMs: Number(m[1]) } : {};
}

/** checksum.txt: the server writes absolute paths; match on the file name. */
async function readChecksums(file: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^(.*)\t([0-9a-fA-F]{1,16})\s*$/.exec(line);
    if (m) out.set(basename(m[1]!), Number.parseInt(m[2]!, 16) >>> 0);
  }
  return out;
}

const CHUNK = 1 << 20;

/**
 * Streams the packets of one file with flat memory (one chunk plus the packet being
 * completed). A cut or corrupt length ends the file, reported; the CRC-32C of the
 * whole file is checked against checksum.txt at the end, reported when it differs.
 */
export async function* readPackets(
  file: RecordingFile,
  onIssue: (i: IngestIssue) => void,
  onCut: (cut: InputCut) => void = () => undefined,
): AsyncGenerator<TrafficPacket & { index: number; layout: PacketLayout; timeBase: TimeBase }> {
  const fh = await open(file.path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new IngestInputError(`${file.path}: cannot read traffic recording (${err.code ?? err.message})`, { cause: err });
  });
  try {
    let buf: Buffer = Buffer.alloc(0);
    let pos = 0;
    let fileOffset = 0; // file offset of buf[0]
    let crc = 0;
    let eof = false;
    let index = 0;
    const fill = async (need: number): Promise<void> => {
      // Keep only the unread tail, then read until `need` bytes are buffered or the file ends.
      const keep = buf.subarray(pos);
      fileOffset += pos;
      pos = 0;
      const parts: Buffer[] = [keep];
      let have = keep.length;
      while (have < need && !eof) {
        const chunk = Buffer.allocUnsafe(Math.max(CHUNK, need - have));
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) eof = true;
        else {
          const got = chunk.subarray(0, bytesRead);
          crc = extendCrc32c(crc, got);
          parts.push(got);
          have += bytesRead;
        }
      }
      buf = parts.length === 1 ? keep : Buffer.concat(parts, have);
    };
    await fill(CHUNK);
    if (buf.length === 0) {
      onIssue({ file: file.path, line: 0, code: 'MC_INGEST_TRAFFIC_EMPTY', message: 'empty recording file' });
      return;
    }
    const detected = detectLayout(buf);
    if (!detected) {
      onIssue({ file: file.path, line: 1, code: 'MC_INGEST_TRAFFIC_CORRUPT', message: 'not a traffic recording: the first packet fits no known layout' });
      return;
    }
    const { layout, timeBase } = detected;
    for (;;) {
      if (pos >= buf.length) {
        if (eof) break;
        await fill(CHUNK);
        if (buf.length === 0) break;
      }
      const r = readPacket(buf, pos, layout);
      if (r.kind === 'short') {
        if (eof) {
          onCut({ input: file.path, at: `byte ${fileOffset + pos}`, reason: `packet ${index + 1} is cut short (${buf.length - pos} of ${r.need} bytes)` });
          break;
        }
        await fill(r.need);
        continue;
      }
      index++;
      if (r.kind === 'corrupt') {
        onCut({ input: file.path, at: `byte ${fileOffset + pos}`, reason: `packet ${index} is damaged (${r.message}); the rest of the file is skipped` });
        // Drain so the checksum still covers the whole file.
        while (!eof) {
          pos = buf.length;
          await fill(CHUNK);
        }
        break;
      }
      yield { ...r.packet, at: fileOffset + pos, index, layout, timeBase };
      pos = r.next;
    }
    if (file.crc32c !== undefined && (crc >>> 0) !== file.crc32c) {
      onIssue({
        file: file.path,
        line: 0,
        code: 'MC_INGEST_TRAFFIC_CHECKSUM',
        message: `CRC-32C ${(crc >>> 0).toString(16)} differs from checksum.txt (${file.crc32c.toString(16)}): the file was changed or damaged after recording`,
      });
    }
  } finally {
    await fh.close();
  }
}

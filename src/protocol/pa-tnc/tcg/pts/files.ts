import { Reader } from '../../../../bytes/cursor';
import { DecodeError } from '../../../../bytes/errors';
import { VENDOR } from '../../../vendors';
import { defineAttribute } from '../../registry';
import { PTS_TYPE } from './negotiation';
import { hex } from './values';

// PTS 3.17/3.19: path delimiters ('/' or '\'); anything else is TCG error "invalid delimiter"
export const DELIMITER = { SOLIDUS: 0x2f, REVERSE_SOLIDUS: 0x5c } as const;
export const FILE_REQ_FLAG_DIRECTORY = 0x80;

function checkDelimiter(d: number, at: number): number {
  if (d !== DELIMITER.SOLIDUS && d !== DELIMITER.REVERSE_SOLIDUS)
    throw new DecodeError('invalid', 'path delimiter', at, `delimiter 0x${d.toString(16)} not allowed`);
  return d;
}

function readPath(r: Reader, what: string): string {
  const at = r.offset;
  const raw = r.rest();
  if (raw.length === 0) throw new DecodeError('truncated', what, at, 'empty pathname');
  return raw.toString('utf8');
}

/** Checks, after the entries were decoded while bytes remained, that the wire count agrees. */
function checkCount(declared: bigint, found: number, what: string, at: number): void {
  if (declared !== BigInt(found))
    throw new DecodeError('invalid', what, at, `count says ${declared}, ${found} entries present`);
}

// PTS 3.19.1: Request File Measurement
export interface FileMeasurementRequest {
  directory: boolean;
  requestId: number;
  delimiter: number;
  path: string;
}

export const RequestFileMeasurementAttr = defineAttribute<FileMeasurementRequest>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.REQ_FILE_MEAS,
  name: 'Request File Measurement',
  decode(r) {
    const directory = (r.u8('Request File Measurement flags') & FILE_REQ_FLAG_DIRECTORY) !== 0;
    r.skip(1, 'Request File Measurement reserved');
    const requestId = r.u16('file measurement request ID');
    const at = r.offset;
    const delimiter = checkDelimiter(r.u32('path delimiter'), at);
    return { directory, requestId, delimiter, path: readPath(r, 'file measurement pathname') };
  },
  encode: (w, v) =>
    void w
      .u8(v.directory ? FILE_REQ_FLAG_DIRECTORY : 0)
      .u8(0)
      .u16(v.requestId)
      .u32(v.delimiter)
      .utf8(v.path),
  describe: (v) => [`request ${v.requestId}: measure ${v.directory ? 'directory' : 'file'} '${v.path}'`],
});

// PTS 3.19.2: File Measurement
export interface FileHash {
  hash: Buffer;
  filename: string;
}

/** File hashes as the IMC reports them (untrusted claims). */
export interface FileMeasurements {
  requestId: number;
  /** Hash length; must match every entry (0 when there are none). */
  hashLength: number;
  files: FileHash[];
}

export const FileMeasurementAttr = defineAttribute<FileMeasurements>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.FILE_MEAS,
  name: 'File Measurement',
  decode(r) {
    const countAt = r.offset;
    const count = r.u64('number of files');
    const requestId = r.u16('file measurement request ID');
    const hashLength = r.u16('file measurement length');
    const files: FileHash[] = [];
    // count comes from the wire: decode while bytes remain, then compare
    while (!r.atEnd)
      files.push({
        hash: r.bytes(hashLength, 'file hash'),
        filename: r.lengthPrefixed(2, 'measured filename').toString('utf8'),
      });
    checkCount(count, files.length, 'number of files', countAt);
    return { requestId, hashLength, files };
  },
  encode(w, v) {
    w.u64(BigInt(v.files.length)).u16(v.requestId).u16(v.hashLength);
    for (const f of v.files) {
      if (f.hash.length !== v.hashLength) throw new RangeError(`hash of '${f.filename}' is not ${v.hashLength} bytes`);
      w.bytes(f.hash).lengthPrefixed(2, Buffer.from(f.filename, 'utf8'));
    }
  },
  describe: (v) => [
    `request ${v.requestId}: ${v.files.length} file measurements`,
    ...v.files.map((f) => `  ${hex(f.hash)} '${f.filename}'`),
  ],
});

// PTS 3.17.1: Request File Metadata
export interface FileMetadataRequest {
  directory: boolean;
  delimiter: number;
  path: string;
}

export const RequestFileMetadataAttr = defineAttribute<FileMetadataRequest>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.REQ_FILE_META,
  name: 'Request File Metadata',
  decode(r) {
    const directory = (r.u8('Request File Metadata flags') & FILE_REQ_FLAG_DIRECTORY) !== 0;
    const at = r.offset;
    const delimiter = checkDelimiter(r.u8('path delimiter'), at);
    r.skip(2, 'Request File Metadata reserved');
    return { directory, delimiter, path: readPath(r, 'file metadata pathname') };
  },
  encode: (w, v) =>
    void w
      .u8(v.directory ? FILE_REQ_FLAG_DIRECTORY : 0)
      .u8(v.delimiter)
      .u16(0)
      .utf8(v.path),
  describe: (v) => [`request metadata of ${v.directory ? 'directory' : 'file'} '${v.path}'`],
});

// PTS 3.17.3: Unix-Style File Metadata
export const UNIX_FILE_TYPE = {
  OTHER: 0,
  FIFO: 1,
  CHAR_SPECIAL: 2,
  DIRECTORY: 4,
  BLOCK_SPECIAL: 6,
  REGULAR: 8,
  SYMLINK: 10,
  SOCKET: 12,
} as const;
const UNIX_META_FIXED_LEN = 52;

export interface UnixFileMetadata {
  type: number;
  size: bigint;
  created: bigint;
  modified: bigint;
  accessed: bigint;
  owner: bigint;
  group: bigint;
  filename: string;
}

export interface UnixFileMetadataList {
  files: UnixFileMetadata[];
}

function readUnixEntry(r: Reader): UnixFileMetadata {
  const at = r.offset;
  const len = r.u16('metadata entry length');
  // PTS 3.17.3: the entry length covers its own 52 fixed bytes plus the filename
  if (len < UNIX_META_FIXED_LEN)
    throw new DecodeError('invalid', 'metadata entry length', at, `length ${len} below ${UNIX_META_FIXED_LEN}`);
  const entry = r.sub(len - 2, 'metadata entry');
  const type = entry.u8('file type');
  entry.skip(1, 'metadata entry reserved');
  const [size, created, modified, accessed, owner, group] = [
    'file size',
    'create time',
    'modify time',
    'access time',
    'owner ID',
    'group ID',
  ].map((what) => entry.u64(what));
  return { type, size, created, modified, accessed, owner, group, filename: entry.rest().toString('utf8') };
}

export const UnixFileMetadataAttr = defineAttribute<UnixFileMetadataList>({
  vendor: VENDOR.TCG,
  type: PTS_TYPE.UNIX_FILE_META,
  name: 'Unix-Style File Metadata',
  decode(r) {
    const countAt = r.offset;
    const count = r.u64('number of files');
    const files: UnixFileMetadata[] = [];
    while (!r.atEnd) files.push(readUnixEntry(r));
    checkCount(count, files.length, 'number of files', countAt);
    return { files };
  },
  encode(w, v) {
    w.u64(BigInt(v.files.length));
    for (const f of v.files) {
      const name = Buffer.from(f.filename, 'utf8');
      if (UNIX_META_FIXED_LEN + name.length > 0xffff) throw new RangeError(`filename '${f.filename}' too long`);
      w.u16(UNIX_META_FIXED_LEN + name.length)
        .u8(f.type)
        .u8(0);
      for (const n of [f.size, f.created, f.modified, f.accessed, f.owner, f.group]) w.u64(n);
      w.bytes(name);
    }
  },
  describe: (v) => v.files.map((f) => `type ${f.type}, ${f.size} bytes, owner ${f.owner}:${f.group} '${f.filename}'`),
});

/**
 * The durable default record store: an append-only journal of JSON lines in a folder of the
 * operator's choosing. Node 20 has no embedded database (node:sqlite came with Node 22), and a
 * native SQLite module would be a build dependency for every user of the library; a journal needs
 * only the file system and is readable with any text tool.
 *
 * Each change is one line, appended and flushed with fdatasync before `write` resolves, so an answer
 * is sent only after what it promises is on disk. Changes that arrive while a flush is under way
 * share the next flush. A crash can at worst leave a torn last line, which was never acknowledged
 * and is ignored on open. When the journal holds far more lines than live records it is rewritten
 * as a snapshot into a temporary file that replaces it by rename, so it stays bounded.
 */
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CmpError, ErrorCodes } from '../errors';
import { RecordState, type NameBinding, type RecordChange, type RecordSnapshot, type RecordStore, type StoredCertificate } from './records';

export interface JournalOptions {
  /** The folder holding `records.jsonl`; created (mode 0700) when missing. */
  folder: string;
  /** Rewrite the journal once it has this many lines more than live records; default 10000. */
  compactAfter?: number;
}

export const JOURNAL_FILE = 'records.jsonl';

type Json = Record<string, unknown>;

function certificateToJson(c: StoredCertificate): Json {
  return {
    serial: c.serial,
    der: Buffer.from(c.der).toString('base64'),
    issuedAt: c.issuedAt.toISOString(),
    notAfter: c.notAfter.toISOString(),
    ...(c.ref !== undefined ? { ref: c.ref } : {}),
    confirmed: c.confirmed,
    ...(c.revocation ? { revocation: revocationToJson(c.revocation) } : {}),
  };
}

function revocationToJson(r: NonNullable<StoredCertificate['revocation']>): Json {
  return { date: r.date.toISOString(), reason: r.reason, ...(r.invalidityDate ? { invalidityDate: r.invalidityDate.toISOString() } : {}) };
}

function toJson(change: RecordChange): Json {
  switch (change.type) {
    case 'issued':
      return { type: 'issued', certificate: certificateToJson(change.certificate) };
    case 'revoked':
      return { type: 'revoked', serial: change.serial, revocation: revocationToJson(change.revocation) };
    case 'bound':
      return { type: 'bound', binding: { ...change.binding, until: change.binding.until.toISOString() } };
    default:
      return { ...change };
  }
}

const date = (v: unknown): Date => {
  const d = new Date(String(v));
  if (Number.isNaN(d.getTime())) throw new Error('not a date');
  return d;
};
const text = (v: unknown): string => {
  if (typeof v !== 'string') throw new Error('not a string');
  return v;
};

function revocationFromJson(v: Json): NonNullable<StoredCertificate['revocation']> {
  return { date: date(v.date), reason: Number(v.reason), ...(v.invalidityDate !== undefined ? { invalidityDate: date(v.invalidityDate) } : {}) };
}

function fromJson(v: Json): RecordChange {
  switch (v.type) {
    case 'ca':
      return { type: 'ca', key: text(v.key) };
    case 'issued': {
      const c = v.certificate as Json;
      return {
        type: 'issued',
        certificate: {
          serial: text(c.serial),
          der: new Uint8Array(Buffer.from(text(c.der), 'base64')),
          issuedAt: date(c.issuedAt),
          notAfter: date(c.notAfter),
          ...(c.ref !== undefined ? { ref: text(c.ref) } : {}),
          confirmed: c.confirmed === true,
          ...(c.revocation ? { revocation: revocationFromJson(c.revocation as Json) } : {}),
        },
      };
    }
    case 'confirmed':
      return { type: 'confirmed', serial: text(v.serial) };
    case 'revoked':
      return { type: 'revoked', serial: text(v.serial), revocation: revocationFromJson(v.revocation as Json) };
    case 'crlNumber':
      return { type: 'crlNumber', value: Number(v.value) };
    case 'bound': {
      const b = v.binding as Json;
      const binding: NameBinding = {
        ref: text(b.ref),
        altNames: (b.altNames as unknown[]).map(text),
        until: date(b.until),
        ...(b.subject !== undefined ? { subject: text(b.subject) } : {}),
      };
      return { type: 'bound', binding };
    }
    case 'dropped':
      return { type: 'dropped', serials: (v.serials as unknown[]).map(text), refs: (v.refs as unknown[]).map(text) };
    default:
      throw new Error(`unknown record type ${String(v.type)}`);
  }
}

function storeError(message: string, cause?: unknown): CmpError {
  return new CmpError(ErrorCodes.ERR_INVALID_OPTION, message, cause === undefined ? undefined : { cause });
}

export class JournalRecordStore implements RecordStore {
  readonly file: string;
  private readonly folder: string;
  private readonly compactAfter: number;
  private readonly state = new RecordState();
  private handle?: fs.FileHandle;
  private lines = 0;
  private queue: { line: string; change: RecordChange; done: (e?: unknown) => void }[] = [];
  private flushing?: Promise<void>;

  constructor(options: JournalOptions) {
    this.folder = path.resolve(options.folder);
    this.file = path.join(this.folder, JOURNAL_FILE);
    this.compactAfter = options.compactAfter ?? 10_000;
  }

  async open(): Promise<RecordSnapshot> {
    if (this.handle) throw storeError(`the record store ${this.file} is already open`);
    await fs.mkdir(this.folder, { recursive: true, mode: 0o700 });
    let content = '';
    try {
      content = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw storeError(`cannot read the record store ${this.file}`, e);
    }
    const lines = content.split('\n');
    let torn = false;
    lines.forEach((line, i) => {
      if (line === '') return;
      try {
        this.state.apply(fromJson(JSON.parse(line) as Json));
        this.lines++;
      } catch (e) {
        // Only the last line can be torn by a crash; damage anywhere else is not ours to guess at.
        if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l !== '')) {
          throw storeError(`the record store ${this.file} is damaged at line ${i + 1}`, e);
        }
        torn = true;
      }
    });
    if (torn || this.lines > this.state.certificates.size + this.state.bindings.size + this.compactAfter) await this.rewrite();
    // O_NOFOLLOW: the journal is the CA's memory; a planted symlink must not redirect it.
    this.handle = await fs.open(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    return this.state.snapshot();
  }

  write(change: RecordChange): Promise<void> {
    if (!this.handle) return Promise.reject(storeError('the record store is not open'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line: `${JSON.stringify(toJson(change))}\n`, change, done: (e) => (e === undefined ? resolve() : reject(e)) });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.handle!.appendFile(batch.map((b) => b.line).join(''));
        await this.handle!.datasync();
        for (const b of batch) this.state.apply(b.change);
        this.lines += batch.length;
        if (this.lines > this.state.certificates.size + this.state.bindings.size + this.compactAfter) await this.compact();
        for (const b of batch) b.done();
      } catch (e) {
        for (const b of batch) b.done(storeError(`cannot write the record store ${this.file}`, e));
      }
    }
    this.flushing = undefined;
  }

  /** Replaces the journal by a snapshot of the state, through a temporary file and rename. */
  private async rewrite(): Promise<void> {
    const temporary = `${this.file}.tmp`;
    await fs.rm(temporary, { force: true });
    const out = await fs.open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    const changes = this.state.changes();
    try {
      await out.writeFile(changes.map((c) => `${JSON.stringify(toJson(c))}\n`).join(''));
      await out.datasync();
    } finally {
      await out.close();
    }
    await fs.rename(temporary, this.file);
    // The rename itself is durable only once the folder is flushed.
    const dir = await fs.open(this.folder, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.lines = changes.length;
  }

  private async compact(): Promise<void> {
    await this.handle!.close();
    this.handle = undefined;
    try {
      await this.rewrite();
    } finally {
      this.handle = await fs.open(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    }
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.handle?.close();
    this.handle = undefined;
  }
}

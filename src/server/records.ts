/**
 * What the CA must remember between requests and across restarts: the certificates it issued
 * (with confirmation and revocation), the number of its last CRL, and which names each client
 * reference is bound to. The CA changes its records only through `RecordChange`s that a
 * `RecordStore` has made durable first, so an answer never promises something a crash could undo.
 * This file holds the vocabulary, the state the changes build and the memory store for tests; the
 * durable default lives in records-journal.ts.
 */

export interface RevocationRecord {
  date: Date;
  /** CRLReason code (RFC 5280 5.3.1). */
  reason: number;
  invalidityDate?: Date;
}

export interface StoredCertificate {
  /** Lower-case hex of the serial number without sign padding. */
  serial: string;
  der: Uint8Array;
  issuedAt: Date;
  /** Kept beside the DER so that expiry can be decided without decoding every certificate. */
  notAfter: Date;
  /** The client reference the certificate was issued to (see name-binding.ts). */
  ref?: string;
  confirmed: boolean;
  revocation?: RevocationRecord;
}

/** The names a reference obtained first and may ask for again (keys from name-binding.ts). */
export interface NameBinding {
  ref: string;
  /** Canonical key of the subject; absent for a certificate that names only subjectAltNames. */
  subject?: string;
  /** Canonical keys of the subjectAltNames. */
  altNames: string[];
  /** The binding lapses with the last certificate issued under it. */
  until: Date;
}

export type RecordChange =
  /** The CA a store belongs to (a hash of its public key); written once, first. */
  | { type: 'ca'; key: string }
  | { type: 'issued'; certificate: StoredCertificate }
  | { type: 'confirmed'; serial: string }
  | { type: 'revoked'; serial: string; revocation: RevocationRecord }
  | { type: 'crlNumber'; value: number }
  | { type: 'bound'; binding: NameBinding }
  /** Expired certificates and bindings, forgotten so that the records stay bounded. */
  | { type: 'dropped'; serials: string[]; refs: string[] };

/** The records as a store hands them to the CA when it opens. */
export interface RecordSnapshot {
  ca?: string;
  certificates: StoredCertificate[];
  bindings: NameBinding[];
  crlNumber: number;
}

export interface RecordStore {
  /** Reads what was stored before; called once, before any write. */
  open(): Promise<RecordSnapshot>;
  /** Resolves once the change would survive a crash; the CA answers only after that. */
  write(change: RecordChange): Promise<void>;
  close(): Promise<void>;
  /**
   * For stores shared by several CAs (the workers of a CA cluster): `listener` is given each change
   * another CA made, after the snapshot `open` returned, and applies it before returning.
   */
  subscribe?(listener: (change: RecordChange) => void): void;
}

/** The records, built by applying changes in order; the same code replays a journal and updates the CA. */
export class RecordState {
  ca?: string;
  readonly certificates = new Map<string, StoredCertificate>();
  readonly bindings = new Map<string, NameBinding>();
  crlNumber = 0;

  static from(snapshot: RecordSnapshot): RecordState {
    const state = new RecordState();
    if (snapshot.ca !== undefined) state.ca = snapshot.ca;
    for (const c of snapshot.certificates) state.certificates.set(c.serial, { ...c });
    for (const b of snapshot.bindings) state.bindings.set(b.ref, { ...b, altNames: [...b.altNames] });
    state.crlNumber = snapshot.crlNumber;
    return state;
  }

  apply(change: RecordChange): void {
    switch (change.type) {
      case 'ca':
        this.ca = change.key;
        return;
      case 'issued':
        this.certificates.set(change.certificate.serial, { ...change.certificate });
        return;
      case 'confirmed': {
        const record = this.certificates.get(change.serial);
        if (record) record.confirmed = true;
        return;
      }
      case 'revoked': {
        const record = this.certificates.get(change.serial);
        if (record) record.revocation = { ...change.revocation };
        return;
      }
      case 'crlNumber':
        // Never backwards, whatever order a damaged journal holds.
        this.crlNumber = Math.max(this.crlNumber, change.value);
        return;
      case 'bound':
        this.bindings.set(change.binding.ref, { ...change.binding, altNames: [...change.binding.altNames] });
        return;
      case 'dropped':
        for (const serial of change.serials) this.certificates.delete(serial);
        for (const ref of change.refs) this.bindings.delete(ref);
        return;
    }
  }

  snapshot(): RecordSnapshot {
    return {
      ...(this.ca !== undefined ? { ca: this.ca } : {}),
      certificates: [...this.certificates.values()].map((c) => ({ ...c })),
      bindings: [...this.bindings.values()].map((b) => ({ ...b, altNames: [...b.altNames] })),
      crlNumber: this.crlNumber,
    };
  }

  /** The changes that rebuild this state from nothing: what a compacted journal holds. */
  changes(): RecordChange[] {
    const out: RecordChange[] = [];
    if (this.ca !== undefined) out.push({ type: 'ca', key: this.ca });
    for (const c of this.certificates.values()) out.push({ type: 'issued', certificate: c });
    for (const b of this.bindings.values()) out.push({ type: 'bound', binding: b });
    out.push({ type: 'crlNumber', value: this.crlNumber });
    return out;
  }
}

/**
 * Records in memory: lost with the process. Handing the same instance to a second server stands
 * for a restart in tests, since it keeps what the first one wrote.
 */
export class MemoryRecordStore implements RecordStore {
  private readonly state = new RecordState();

  async open(): Promise<RecordSnapshot> {
    return this.state.snapshot();
  }

  async write(change: RecordChange): Promise<void> {
    this.state.apply(change);
  }

  async close(): Promise<void> {}
}

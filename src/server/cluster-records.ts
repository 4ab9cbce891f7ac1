/**
 * The CA's records when several workers issue: the main thread holds the one record store and a
 * copy of the records, and each worker's CA holds a replica fed through a `RemoteRecordStore`.
 * A worker's change is checked against the main thread's copy (a name bound to another
 * reference, a serial issued twice, a CRL number not above the last are refused, as one CA would
 * never make them), made durable, and posted to every other worker before the writer hears it is
 * done. Nobody waits for the other workers to apply it: a port delivers in order, and every
 * request reaches a worker through the main thread, so a request that follows the writer's answer
 * (an rr or kur on another worker, a name asked for by another reference) is posted after the
 * change and finds it applied. So once a worker answers, every worker knows what that answer
 * promised, and TOFU name bindings stay exclusive.
 */
import { CmpError, ErrorCodes } from '../errors';
import { refuse } from './refusal';
import { RecordState, type NameBinding, type RecordChange, type RecordSnapshot, type RecordStore } from './records';

/** What a worker's record store asks the main thread, and what it is told. */
export type RecordRequest = { t: 'open'; id: number } | { t: 'write'; id: number; change: RecordChange };
export type RecordReply =
  | { t: 'opened'; id: number; snapshot?: RecordSnapshot; error?: string }
  /** `taken`: the change bound a name another reference holds, which the requester is told as notAuthorized. */
  | { t: 'written'; id: number; error?: string; taken?: boolean };
/**
 * A change another worker made. The worker applies it before anything the main thread posts
 * later: messages of one port arrive in the order they were posted.
 */
export type RecordBroadcast = { t: 'change'; change: RecordChange };

export interface RecordPeer {
  send(message: RecordReply | RecordBroadcast): void;
}

function namesOf(binding: NameBinding): string[] {
  return [...(binding.subject !== undefined ? [binding.subject] : []), ...binding.altNames];
}

/** The main thread's side: one store, one copy of the records, and the workers that replicate them. */
export class RecordsHub {
  private readonly state = new RecordState();
  private readonly owners = new Map<string, string>();
  private opened?: Promise<void>;
  /** Workers that have their snapshot and so must apply every later change. */
  private readonly replicas = new Set<RecordPeer>();

  constructor(private readonly store: RecordStore) {}

  private open(): Promise<void> {
    this.opened ??= this.store.open().then((snapshot) => {
      if (snapshot.ca !== undefined) this.state.ca = snapshot.ca;
      for (const c of snapshot.certificates) this.state.apply({ type: 'issued', certificate: c });
      for (const b of snapshot.bindings) this.track({ type: 'bound', binding: b });
      this.state.crlNumber = snapshot.crlNumber;
    });
    return this.opened;
  }

  private track(change: RecordChange): void {
    if (change.type === 'bound') {
      const previous = this.state.bindings.get(change.binding.ref);
      if (previous) for (const name of namesOf(previous)) this.owners.delete(name);
      for (const name of namesOf(change.binding)) this.owners.set(name, change.binding.ref);
    } else if (change.type === 'dropped') {
      for (const ref of change.refs) {
        const previous = this.state.bindings.get(ref);
        if (previous) for (const name of namesOf(previous)) if (this.owners.get(name) === ref) this.owners.delete(name);
      }
    }
    this.state.apply(change);
  }

  /** Why one CA would never make this change after the others, if it would not; 'duplicate' when it changes nothing. */
  private conflict(change: RecordChange): string | 'duplicate' | undefined {
    switch (change.type) {
      case 'ca':
        if (this.state.ca === undefined) return undefined;
        return this.state.ca === change.key ? 'duplicate' : 'the record store belongs to another CA';
      case 'issued':
        return this.state.certificates.has(change.certificate.serial) ? 'a certificate with this serial number was issued already' : undefined;
      case 'crlNumber':
        return change.value <= this.state.crlNumber ? 'a CRL with this number was signed already' : undefined;
      case 'bound':
        for (const name of namesOf(change.binding)) {
          const owner = this.owners.get(name);
          if (owner !== undefined && owner !== change.binding.ref) return 'a name of this certificate is bound to another reference';
        }
        return undefined;
      default:
        return undefined;
    }
  }

  async handle(peer: RecordPeer, request: RecordRequest): Promise<void> {
    try {
      await this.open();
      if (request.t === 'open') {
        peer.send({ t: 'opened', id: request.id, snapshot: this.state.snapshot() });
        this.replicas.add(peer);
        return;
      }
      const conflict = this.conflict(request.change);
      if (conflict !== 'duplicate') {
        if (conflict !== undefined) {
          peer.send({ t: 'written', id: request.id, error: `record change refused: ${conflict}`, taken: request.change.type === 'bound' });
          return;
        }
        // Applied to the copy at once, so that a conflicting change racing this one is refused.
        this.track(request.change);
        await this.store.write(request.change);
        // Posted before the writer's 'written': whatever the main thread hands another worker after the writer's answer comes after it.
        for (const other of this.replicas) if (other !== peer) other.send({ t: 'change', change: request.change });
      }
      peer.send({ t: 'written', id: request.id });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      peer.send(request.t === 'open' ? { t: 'opened', id: request.id, error } : { t: 'written', id: request.id, error });
    }
  }

  /** A worker that is gone applies nothing more. */
  leave(peer: RecordPeer): void {
    this.replicas.delete(peer);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** A worker's record store: the main thread's hub, over the worker's port. */
export class RemoteRecordStore implements RecordStore {
  private nextId = 0;
  private readonly calls = new Map<number, { resolve: (reply: RecordReply) => void }>();
  private listener?: (change: RecordChange) => void;

  constructor(private readonly post: (message: RecordRequest) => void) {}

  /** Feeds a message from the main thread: a reply to one of its calls, or another worker's change to apply. */
  receive(message: RecordReply | RecordBroadcast): void {
    if (message.t === 'change') {
      this.listener?.(message.change);
      return;
    }
    const call = this.calls.get(message.id);
    this.calls.delete(message.id);
    call?.resolve(message);
  }

  private call(request: RecordRequest): Promise<RecordReply> {
    return new Promise((resolve) => {
      this.calls.set(request.id, { resolve });
      this.post(request);
    });
  }

  subscribe(listener: (change: RecordChange) => void): void {
    this.listener = listener;
  }

  async open(): Promise<RecordSnapshot> {
    const reply = await this.call({ t: 'open', id: ++this.nextId });
    if (reply.error !== undefined || reply.t !== 'opened' || !reply.snapshot) {
      throw new CmpError(ErrorCodes.ERR_INTERNAL, `the CA cluster's records cannot be opened: ${reply.error ?? 'no snapshot'}`);
    }
    return reply.snapshot;
  }

  async write(change: RecordChange): Promise<void> {
    const reply = await this.call({ t: 'write', id: ++this.nextId, change });
    // Another worker bound the name first, between this worker's check and its write: the answer one server would have given.
    if (reply.t === 'written' && reply.taken) refuse('notAuthorized', 'a name of this certificate was just bound to another reference');
    if (reply.error !== undefined) throw new CmpError(ErrorCodes.ERR_INTERNAL, reply.error);
  }

  async close(): Promise<void> {}
}

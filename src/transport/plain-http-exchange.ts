import * as net from 'node:net';
import { HttpResponseReader, type ResponseHead } from './http-response-reader';

/**
 * Plain-HTTP request/response exchanges over node:net, with the kept-alive connections between
 * them. This is what `openssl cmp` does with its own small HTTP client, and for the same reason:
 * a CMP exchange is one POST with a small body and one small answer, and node:http's general
 * machinery (its agent, streams, IncomingMessage, header objects) costs more CPU than the CMP
 * work of a warm session (docs/benchmarks.md, issue #22). TLS stays on node:https.
 */

/** What the exchange tells the transfer, which decides about the response. */
export interface ResponseSink {
  /** The final head arrived. An error returned refuses the response before its body is read. */
  head(head: ResponseHead): Error | undefined;
  /** `bytes` of the body have arrived so far. An error returned stops reading. */
  progress(bytes: number): Error | undefined;
  /** The body is complete. */
  done(body: Uint8Array): void;
  fail(e: unknown): void;
}

/** node:http's Agent keeps at most this many free sockets. */
const MAX_IDLE = 256;

export class PlainHttpConnections {
  /** Last in, first out, as node:http's agent with scheduling 'lifo'. */
  private readonly idle: net.Socket[] = [];
  private readonly busy = new Set<net.Socket>();
  /** Each idle socket's listener that drops it. */
  private readonly droppers = new Map<net.Socket, () => void>();

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /**
   * Writes `head` (the request line and header fields, CRLF CRLF included) and `body` on a
   * kept-alive connection or a new one, and reads the answer into `sink`. Returns a cancel
   * function, which drops the connection: a half-read answer leaves it unusable.
   */
  send(head: string, body: Uint8Array, keepAlive: boolean, sink: ResponseSink): () => void {
    const socket = this.take() ?? net.connect({ host: this.host, port: this.port, noDelay: true });
    this.busy.add(socket);
    const reader = new HttpResponseReader();
    let finished = false;
    let headSeen = false;

    const detach = () => {
      finished = true;
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onClose);
      this.busy.delete(socket);
    };
    const cancel = () => {
      if (finished) return;
      detach();
      socket.destroy();
    };
    const fail = (e: unknown) => {
      if (finished) return;
      cancel();
      sink.fail(e);
    };
    const check = (): boolean => {
      if (!headSeen && reader.head !== undefined) {
        headSeen = true;
        const refusal = sink.head(reader.head);
        if (refusal !== undefined) {
          fail(refusal);
          return false;
        }
      }
      const tooLarge = sink.progress(reader.bodyBytes);
      if (tooLarge !== undefined) {
        fail(tooLarge);
        return false;
      }
      return true;
    };
    const onData = (data: Buffer) => {
      let leftOver: boolean;
      try {
        leftOver = reader.push(data);
      } catch (e) {
        return fail(e);
      }
      if (!check() || !reader.complete) return;
      detach();
      // Bytes after the answer were never asked for: such a connection is not reused.
      if (keepAlive && reader.reusable && !leftOver) this.release(socket);
      else socket.destroy();
      sink.done(reader.body());
    };
    const onEnd = () => {
      try {
        reader.end();
      } catch (e) {
        return fail(e);
      }
      if (!check()) return;
      detach();
      socket.destroy();
      sink.done(reader.body());
    };
    const onError = (e: Error) => fail(e);
    const onClose = () => fail(Object.assign(new Error('connection closed before the response was complete'), { code: 'ECONNRESET' }));

    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    // One segment for head and body (writev), as OpenSSL sends them.
    socket.cork();
    socket.write(head, 'latin1');
    socket.write(body);
    socket.uncork();
    return cancel;
  }

  /** Drops every connection, idle or in use; exchanges in progress fail with a closed connection. */
  close(): void {
    for (const socket of this.idle.splice(0)) socket.destroy();
    this.droppers.clear();
    for (const socket of [...this.busy]) socket.destroy();
  }

  private take(): net.Socket | undefined {
    for (let socket = this.idle.pop(); socket !== undefined; socket = this.idle.pop()) {
      const drop = this.droppers.get(socket)!;
      this.droppers.delete(socket);
      socket.off('data', drop).off('end', drop).off('error', drop).off('close', drop);
      // A server may have closed it a moment ago, the event not yet delivered.
      if (!socket.destroyed && socket.writable && !socket.readableEnded) {
        socket.ref();
        return socket;
      }
      socket.destroy();
    }
    return undefined;
  }

  private release(socket: net.Socket): void {
    if (this.idle.length >= MAX_IDLE) {
      socket.destroy();
      return;
    }
    // An idle connection must not keep the process alive, and anything the server does with it
    // (data nobody asked for, a close, an error) ends it.
    const drop = () => {
      const i = this.idle.indexOf(socket);
      if (i >= 0) this.idle.splice(i, 1);
      this.droppers.delete(socket);
      socket.destroy();
    };
    this.droppers.set(socket, drop);
    socket.on('data', drop);
    socket.on('end', drop);
    socket.on('error', drop);
    socket.on('close', drop);
    socket.unref();
    this.idle.push(socket);
  }
}

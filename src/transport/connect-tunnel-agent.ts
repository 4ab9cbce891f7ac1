import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { ProxyAddress } from './address';
import { ProxyTunnelError } from './proxy-tunnel-error';

// Its own module, so that the transfer can recognise it without loading node:https (this file's).
export { ProxyTunnelError };

/**
 * An https.Agent that reaches the server through an HTTP proxy's CONNECT tunnel, so TLS stays
 * end-to-end. Being an Agent, it pools the tunnelled TLS sockets like any other, so keep-alive
 * works through the proxy too (one CONNECT per connection, not per message).
 */
export class ConnectTunnelAgent extends https.Agent {
  private readonly pending = new Set<http.ClientRequest>();

  /**
   * `connectTimeoutMs` (0 = none) bounds a CONNECT on its own: the message that asked for the
   * connection may have timed out or been aborted already, and an unanswered CONNECT would
   * otherwise hold the process open until close().
   */
  constructor(
    private readonly proxy: ProxyAddress,
    options: https.AgentOptions,
    private readonly connectTimeoutMs: number,
  ) {
    super(options);
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const done = callback ?? (() => undefined);
    const host = options.host ?? options.hostname ?? 'localhost';
    const authority = `${host.includes(':') ? `[${host}]` : host}:${options.port ?? 443}`;
    const connect = http.request({
      host: this.proxy.host,
      port: this.proxy.port,
      method: 'CONNECT',
      path: authority,
      headers: { Host: authority },
      agent: false,
      noDelay: true,
    } as http.RequestOptions);
    this.pending.add(connect);
    if (this.connectTimeoutMs > 0) {
      connect.setTimeout(this.connectTimeoutMs, () =>
        connect.destroy(new ProxyTunnelError(`proxy did not answer CONNECT within ${this.connectTimeoutMs} ms`)),
      );
    }
    let settled = false;
    const finish = (err: Error | null, socket?: Duplex): void => {
      this.pending.delete(connect);
      if (settled) return;
      settled = true;
      done(err, socket as Duplex);
    };
    connect.once('connect', (res, socket, head) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        socket.destroy();
        finish(new ProxyTunnelError(`proxy answered CONNECT with HTTP ${res.statusCode}`));
        return;
      }
      // A proxy must not send tunnel bytes before the client's TLS ClientHello.
      if (head.length > 0) {
        socket.destroy();
        finish(new ProxyTunnelError('proxy sent unexpected data after CONNECT'));
        return;
      }
      socket.setTimeout(0);
      socket.setNoDelay(true);
      // `path` here is the HTTP request path, which tls.connect would read as an IPC path.
      const { path: _requestPath, ...tlsOptions } = options as tls.ConnectionOptions & { path?: unknown };
      const secure = tls.connect({ ...tlsOptions, socket });
      finish(null, secure);
    });
    connect.once('error', (e) =>
      finish(e instanceof ProxyTunnelError ? e : new ProxyTunnelError(`proxy CONNECT failed: ${e.message}`, { cause: e })),
    );
    connect.end();
    return undefined;
  }

  /** Also abandons tunnels still being set up. */
  override destroy(): void {
    for (const req of this.pending) req.destroy();
    this.pending.clear();
    super.destroy();
  }
}

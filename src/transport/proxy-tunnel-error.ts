/** The error a failed CONNECT surfaces with, so the transfer can name the proxy in its CmpError. */
export class ProxyTunnelError extends Error {
  readonly code = 'ERR_PROXY_TUNNEL';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyTunnelError';
  }
}

/**
 * Your own transport: `transfer` replaces cmpflow's HTTP client with any function from request
 * bytes to response bytes. This one adds a header an API gateway wants and records which
 * messages went out. A custom transfer takes over what cmpflow's own does besides sending:
 * honouring the abort signal and bounding the response size.
 */
import * as http from 'http';
import { CmpClient, CmpError, type EnrollmentResult, type Transfer } from '../../src';

const MAX_RESPONSE_BYTES = 100 * 1024;

export function gatewayTransfer(url: string, headers: Record<string, string>, sent: string[]): Transfer {
  return (request, ctx) =>
    new Promise<Uint8Array>((resolve, reject) => {
      sent.push(ctx.bodyType ?? 'unknown');
      const req = http.request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/pkixcmp', 'content-length': request.length },
          agent: false, // one connection per message, closed after it (as keepAlive: 0)
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) req.destroy(new CmpError('ERR_RESPONSE_TOO_LARGE', `response larger than ${MAX_RESPONSE_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            if (res.statusCode === 200) resolve(new Uint8Array(Buffer.concat(chunks)));
            else reject(new CmpError('ERR_HTTP_STATUS', `HTTP status ${res.statusCode}`));
          });
        },
      );
      req.on('error', (e) => reject(e instanceof CmpError ? e : new CmpError('ERR_CONNECTION', `cannot reach ${url}`, { cause: e })));
      req.end(request);
    });
}

export interface Enrollment {
  serverUrl: string;
  ref: string;
  secret: string;
  newKeyPath: string;
  subject: string;
}

export async function enrollThroughGateway(p: Enrollment, apiKey: string): Promise<{ result: EnrollmentResult; sent: string[] }> {
  const sent: string[] = [];
  const client = new CmpClient({
    transfer: gatewayTransfer(p.serverUrl, { 'x-api-key': apiKey }, sent), // instead of `server`
    ref: p.ref,
    secret: p.secret,
    newKey: p.newKeyPath,
    subject: p.subject,
  });
  const result = await client.ir();
  return { result, sent };
}

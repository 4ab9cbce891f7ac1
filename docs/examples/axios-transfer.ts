/**
 * Sending CMP through the application's own axios instance: its defaults (here an API key header)
 * and interceptors (here one that records each message) apply to every CMP request, and cmpflow
 * keeps what its own transport promises: the media type both ways, the response size limit, the
 * per-message timeout and the abort signal.
 */
import axios from 'axios';
import { CmpClient, type EnrollmentResult } from '../../src';
import { axiosTransfer } from '../../src/entries/axios';

export interface Enrollment {
  serverUrl: string;
  ref: string;
  secret: string;
  newKeyPath: string;
  subject: string;
}

export async function enrollThroughAxios(p: Enrollment, apiKey: string): Promise<{ result: EnrollmentResult; sent: number[] }> {
  const api = axios.create({ headers: { 'X-Api-Key': apiKey } });
  const sent: number[] = [];
  api.interceptors.request.use((config) => {
    sent.push((config.data as Uint8Array).length); // the DER bytes of each CMP message
    return config;
  });
  const client = new CmpClient({
    transfer: axiosTransfer(api, p.serverUrl, { msgTimeout: 30, maxResponseBytes: 64 * 1024 }), // instead of `server`
    ref: p.ref,
    secret: p.secret,
    newKey: p.newKeyPath,
    subject: p.subject,
  });
  const result = await client.ir();
  return { result, sent };
}

/** What every message handler of the server works with: the server's parts, the request, the reply. */
import type { X509Certificate } from '@peculiar/x509';
import type { PKIBody, PKIMessage } from '../asn1';
import type { CertificateAuthority } from './ca';
import type { ResolvedConfig } from './config';
import type { ClientProtection } from './request-protection';
import type { TransactionStore } from './transactions';

export interface ServerContext {
  config: ResolvedConfig;
  ca?: CertificateAuthority;
  transactions: TransactionStore;
}

/** A decoded request whose header and protection have been checked. */
export interface IncomingRequest {
  msg: PKIMessage;
  protection: ClientProtection;
  /** The protection identity (see clientIdentity). */
  client: string;
  /** Whether the header's generalInfo asks for implicit confirmation. */
  implicitConfirmRequested: boolean;
}

export interface Reply {
  body: PKIBody;
  extraCerts?: X509Certificate[];
  implicitConfirm?: boolean;
}

/**
 * A protection key that never leaves its device (an HSM, a TPM, a cloud KMS). cmpflow signs
 * through one CryptoProvider; give `key` a PrivateKeyHandle whose `handle` names the device key,
 * and install a provider that sends signatures for such handles to the device.
 */
import {
  CmpClient,
  getCryptoProvider,
  loadCertificates,
  NodeCryptoProvider,
  setCryptoProvider,
  type EnrollmentResult,
  type PrivateKeyHandle,
} from '../../src';

type Certificate = ReturnType<typeof loadCertificates>[number];

/** What the device offers: an ECDSA P-256 signature over data, DER-encoded as X.509 wants it. */
export interface SigningDevice {
  label: string;
  sign(hash: string, data: Uint8Array): Promise<Uint8Array>;
}

/** A key handle that refers to the device key; it carries no key material. */
function deviceKey(device: SigningDevice, certificate: Certificate): PrivateKeyHandle {
  return {
    kind: 'private',
    keyType: 'ec',
    curve: 'P-256',
    handle: device,
    spki: new Uint8Array(certificate.publicKey.rawData),
    toJSON: () => `<device key ${device.label}>`,
  };
}

/** Node crypto for everything, except signing with device keys. */
class DeviceCryptoProvider extends NodeCryptoProvider {
  constructor(private readonly device: SigningDevice) {
    super();
  }

  override async sign(alg: Parameters<NodeCryptoProvider['sign']>[0], key: PrivateKeyHandle, data: Uint8Array): Promise<Uint8Array> {
    if (key.handle !== this.device) return super.sign(alg, key, data);
    return this.device.sign(alg.hash ?? 'SHA-256', data);
  }
}

export interface DeviceEnrollment {
  serverUrl: string;
  /** The certificate of the device key, which protects the request. */
  certPath: string;
  untrustedPath: string;
  trustedPath: string;
  newKeyPath: string;
  subject: string;
}

export async function enrollWithDeviceKey(p: DeviceEnrollment, device: SigningDevice): Promise<EnrollmentResult> {
  const [certificate] = loadCertificates(p.certPath);
  if (!certificate) throw new Error(`no certificate in ${p.certPath}`);
  // The provider is process-wide: set it once at start-up in an application. Restored here so
  // that the example leaves no trace.
  const previous = getCryptoProvider();
  setCryptoProvider(new DeviceCryptoProvider(device));
  try {
    const client = new CmpClient({
      server: p.serverUrl,
      cert: certificate,
      key: deviceKey(device, certificate),
      untrusted: p.untrustedPath,
      trusted: p.trustedPath,
      newKey: p.newKeyPath,
      subject: p.subject,
      msgTimeout: 10,
    });
    return await client.cr();
  } finally {
    setCryptoProvider(previous);
  }
}

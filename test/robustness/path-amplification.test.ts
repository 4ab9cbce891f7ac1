/**
 * The work a single response can demand before it is refused. Nobody needs credentials to send
 * extraCerts: an attacker on the path can fill the 100 KiB a response may have with certificates
 * that all name the sender (one key, so each verifies the message's signature) and certificates
 * that all name the sender's issuer (one key that did sign the sender certificates). Every
 * sender candidate then starts its own path search, each trying every fake issuer: the work
 * grows with the product of the two counts, unless it is bounded per message.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, GeneralName } from '@peculiar/asn1-x509';
import { decodePkiMessage } from '../../src/asn1';
import { loadPrivateKey } from '../../src/credentials';
import { getCryptoProvider, setCryptoProvider, type CryptoProvider } from '../../src/crypto';
import { CmpError } from '../../src/errors';
import { parseName } from '../../src/pki/names';
import { protectPkiMessage } from '../../src/protection';
import { processResponse } from '../../src/validation/response';
import { generateKey, issueCa, issueLeaf, type Issued, type TestKey } from '../pki/certificate-factory';
import { buildResponse, expectationsFor, newTransaction, pkiconfBody } from '../validation/response-factory';

/** 140 sender candidates and 140 fake issuers: about 95 KB, inside the default 100 KiB limit. */
const SENDERS = 140;
const FAKE_ISSUERS = 140;
/**
 * What one response may cost. The work is counted, not timed (timing a loaded CI machine is
 * noise): signature verifications are bounded per message; the wall-clock backstop is far below
 * the 6-50 s the unbounded search took, and far above parsing 280 certificates on a busy machine.
 */
const MAX_VERIFICATIONS = 256;
const BACKSTOP_MS = 15_000;

async function pemOf(key: TestKey): Promise<string> {
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', key.pair.privateKey));
  return `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`;
}

describe('a response stuffed with look-alike certificates', () => {
  it(`is refused after at most ${MAX_VERIFICATIONS} signature verifications, not a path search per sender candidate`, async () => {
    const root = await issueCa({ subject: 'CN=Amplification Root', key: await generateKey() });
    const intermediate = await issueCa({ subject: 'CN=Amplification Issuing CA', key: await generateKey(), issuer: root });
    const issuerKey = await generateKey();
    const senderKey = await generateKey();
    const fakes: Issued[] = [];
    for (let i = 0; i < FAKE_ISSUERS; i++) {
      fakes.push(
        await issueCa({
          subject: 'CN=Amplification Issuing CA',
          key: issuerKey,
          issuerName: 'CN=Amplification Root',
          signingKey: issuerKey,
          keyIdentifiers: false,
        }),
      );
    }
    const senders: Issued[] = [];
    for (let i = 0; i < SENDERS; i++) {
      senders.push(await issueLeaf({ subject: 'CN=Amplification Server', key: senderKey, issuer: fakes[0]!, keyIdentifiers: false }));
    }

    const t = newTransaction();
    const msg = decodePkiMessage(await buildResponse(t, pkiconfBody(), { protection: 'none' }));
    msg.header.sender = new GeneralName({ directoryName: parseName('CN=Amplification Server') });
    msg.extraCerts = [...senders, ...fakes].map((c) => AsnConvert.parse(c.cert.rawData, Certificate));
    const der = await protectPkiMessage(msg, { kind: 'signature', key: await loadPrivateKey(await pemOf(senderKey)), cert: senders[0]!.cert });
    expect(der.length).toBeLessThan(100 * 1024);

    const provider = getCryptoProvider();
    let verifications = 0;
    setCryptoProvider(
      Object.assign(Object.create(provider) as CryptoProvider, {
        verify: (...args: Parameters<CryptoProvider['verify']>) => {
          verifications += 1;
          return provider.verify(...args);
        },
      }),
    );
    const started = Date.now();
    const error = await processResponse(
      der,
      expectationsFor(t, 'certConf', { verify: { trusted: [root.cert], untrusted: [intermediate.cert] } }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    setCryptoProvider(provider);
    expect(error).toBeInstanceOf(CmpError);
    expect((error as CmpError).code).toBe('ERR_VERIFICATION_BUDGET');
    expect(verifications).toBeLessThanOrEqual(MAX_VERIFICATIONS);
    expect(elapsed).toBeLessThan(BACKSTOP_MS);
  }, 180_000);
});

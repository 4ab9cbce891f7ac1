/**
 * The embedded CA tried as an attacker would (issue 16), over HTTP on 127.0.0.1 against the
 * server with its defaults: a holder of the shared secret or of a certificate from the CA gets no
 * name but its own, the server's and the CA's names are never issued, purposes and policies that
 * speak for the PKI are not granted on request, and a MAC-protected rr under the shared secret
 * revokes nothing. What the operator may allow instead is shown next to each refusal.
 */
import { CertificatePolicies, ExtendedKeyUsage, GeneralName, PolicyInformation, SubjectAlternativeName } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { CmpOids, PKIBody, PkixOids } from '../../src/asn1';
import { buildRevReq } from '../../src/message/bodies';
import { extension } from '../../src/server/certificate-builder';
import { listen, type CmpServer, type CmpServerConfig, type IssuanceRequest, type Listener } from '../../src/server';
import { certRequestBody, enroll, exchange, newKey, type Auth } from './client-messages';
import { makeServer, pbmAs, throwawayCa } from './fixtures';

const listeners: Listener[] = [];
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
});

/** The server with its defaults (plus `config`), every request of the test going over HTTP. */
async function serve(config: Partial<CmpServerConfig> = {}): Promise<CmpServer> {
  const server = await makeServer(config);
  const listener = await listen(server);
  listeners.push(listener);
  const handle = async (der: Uint8Array): Promise<Uint8Array> => {
    const res = await fetch(listener.url, { method: 'POST', headers: { 'Content-Type': 'application/pkixcmp' }, body: Uint8Array.from(der) });
    return new Uint8Array(await res.arrayBuffer());
  };
  return { ...server, handle };
}

const dns = (...names: string[]) =>
  extension(PkixOids.subjectAltName, false, new SubjectAlternativeName(names.map((n) => new GeneralName({ dNSName: n }))));
const eku = (...oids: string[]) => extension(PkixOids.extKeyUsage, false, new ExtendedKeyUsage(oids));
const policies = (...oids: string[]) =>
  extension(PkixOids.certificatePolicies, false, new CertificatePolicies(oids.map((o) => new PolicyInformation({ policyIdentifier: o }))));
const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const ANY_EKU = '2.5.29.37.0';
const ANY_POLICY = '2.5.29.32.0';

async function ask(
  server: CmpServer,
  auth: Auth,
  spec: Omit<Parameters<typeof certRequestBody>[0], 'key'> & { key?: Parameters<typeof certRequestBody>[0]['key'] },
) {
  return exchange(server, await certRequestBody({ key: spec.key ?? (await newKey()), ...spec }), { auth });
}

describe('a holder of the shared secret', () => {
  it('cannot obtain a name already issued to another reference, subject or subjectAltName', async () => {
    const server = await serve();
    await enroll(server, { key: await newKey(), subject: '/CN=alice', extensions: [dns('alice.example')] }, pbmAs('alice'));
    expect((await ask(server, pbmAs('mallory'), { subject: '/CN=alice' })).failInfo).toEqual(['notAuthorized']);
    const san = await ask(server, pbmAs('mallory'), { subject: '/CN=mallory', extensions: [dns('alice.example')] });
    expect(san.failInfo).toEqual(['notAuthorized']);
    expect(san.statusText).toContain('DNS:alice.example');
  });

  it('is bound to the names of its first certificate: the same reference gets the same names again, no others', async () => {
    const server = await serve();
    await enroll(server, { key: await newKey(), subject: '/CN=alice', extensions: [dns('alice.example')] }, pbmAs('alice'));
    expect((await ask(server, pbmAs('alice'), { subject: '/CN=alice', extensions: [dns('alice.example')] })).type).toBe('ip');
    expect((await ask(server, pbmAs('alice'), { subject: '/CN=bob' })).failInfo).toEqual(['notAuthorized']);
    expect((await ask(server, pbmAs('alice'), { subject: '/CN=alice', extensions: [dns('bob.example')] })).failInfo).toEqual(['notAuthorized']);
  });

  it('gets only the names the operator configured for its reference, from the first request on', async () => {
    const server = await serve({
      policy: { references: [{ ref: 'device-7', subjects: ['/O=fleet/CN=device 7'], altNames: ['DNS:device7.fleet.example', 'IP:10.0.0.7'] }] },
    });
    expect((await ask(server, pbmAs('device-7'), { subject: '/CN=anything else' })).failInfo).toEqual(['notAuthorized']);
    const granted = await ask(server, pbmAs('device-7'), { subject: '/O=fleet/CN=device 7', extensions: [dns('device7.fleet.example')] });
    expect(granted.cert?.subject).toBe('O=fleet, CN=device 7');
  });

  it.each([
    ['the CMP server', async () => (await throwawayCa()).server.cert.subject],
    ['the CA', async () => (await throwawayCa()).ca.cert.subject],
  ])('never gets the name of %s', async (_, name) => {
    const server = await serve();
    const subject = `/${(await name()).split(', ').join('/')}`;
    const answer = await ask(server, pbmAs('first-comer'), { subject });
    expect(answer.type).toBe('error');
    expect(answer.cert).toBeUndefined();
  });
});

describe('a holder of a certificate from the CA', () => {
  it('gets a kur for the subject and names of the certificate it replaces only (a kur signed by CN=alice never returns CN=bob)', async () => {
    const server = await serve();
    const key = await newKey();
    const alice = await enroll(server, { key, subject: '/CN=alice', extensions: [dns('alice.example')] }, pbmAs('alice'));
    const auth: Auth = { kind: 'signature', key, cert: alice };
    expect((await ask(server, auth, { type: 'kur', subject: '/CN=bob', oldCert: alice })).failInfo).toEqual(['notAuthorized']);
    expect((await ask(server, auth, { type: 'kur', oldCert: alice, extensions: [dns('bob.example')] })).failInfo).toEqual(['notAuthorized']);
    const kept = await ask(server, auth, { type: 'kur', oldCert: alice });
    expect(kept.cert?.subject).toBe('CN=alice');
  });

  it('keeps its own subject in a cr, unless the policy lets signers ask for more', async () => {
    const key = await newKey();
    const strict = await serve();
    const alice = await enroll(strict, { key, subject: '/CN=alice' }, pbmAs('alice'));
    const auth: Auth = { kind: 'signature', key, cert: alice };
    expect((await ask(strict, auth, { type: 'cr', subject: '/CN=bob' })).failInfo).toEqual(['notAuthorized']);
    expect((await ask(strict, auth, { type: 'cr', subject: '/CN=alice' })).type).toBe('cp');

    const lenient = await serve({ policy: { signersMayRequestOtherNames: true } });
    const carol = await enroll(lenient, { key, subject: '/CN=carol' }, pbmAs('carol'));
    expect((await ask(lenient, { kind: 'signature', key, cert: carol }, { type: 'cr', subject: '/CN=carol operational' })).type).toBe('cp');
  });
});

describe('a certificate issued to a configured reference', () => {
  it('may ask in a cr for the other names configured for that reference, and for no others', async () => {
    const server = await serve({ policy: { references: [{ ref: 'device', subjects: ['/CN=device', '/CN=device tls'] }] } });
    const key = await newKey();
    const device = await enroll(server, { key, subject: '/CN=device' }, pbmAs('device'));
    const auth: Auth = { kind: 'signature', key, cert: device };
    expect((await ask(server, auth, { type: 'cr', subject: '/CN=device tls' })).cert?.subject).toBe('CN=device tls');
    expect((await ask(server, auth, { type: 'cr', subject: '/CN=device admin' })).failInfo).toEqual(['notAuthorized']);
  });
});

describe('extensions are granted from an allow-list', () => {
  it.each([
    ['id-kp-OCSPSigning', eku(OCSP_SIGNING)],
    ['anyExtendedKeyUsage', eku(ANY_EKU)],
    ['id-kp-cmcCA', eku(CmpOids.idKpCmcCA)],
    ['id-kp-cmcRA', eku(CmpOids.idKpCmcRA)],
    ['id-kp-cmKGA', eku(CmpOids.idKpCmKGA)],
    ['anyPolicy', policies(ANY_POLICY)],
    ['a wildcard DNS name', dns('*.example.com')],
  ])('%s is refused by default: badCertTemplate', async (_, ext) => {
    const server = await serve();
    const answer = await ask(server, pbmAs('asker'), { subject: '/CN=asker', extensions: [ext] });
    expect(answer.failInfo).toEqual(['badCertTemplate']);
    expect(answer.cert).toBeUndefined();
  });

  it('grants what the operator lists: OCSP signing, a wildcard name', async () => {
    const server = await serve({ policy: { allowedExtKeyUsages: [OCSP_SIGNING], allowWildcards: true } });
    const answer = await ask(server, pbmAs('responder'), { subject: '/CN=responder', extensions: [eku(OCSP_SIGNING), dns('*.example.com')] });
    expect(answer.cert!.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([OCSP_SIGNING]);
    const listed = await ask(server, pbmAs('web'), { subject: '/CN=web', extensions: [eku(PkixOids.idKpServerAuth)] });
    expect(listed.failInfo).toEqual(['badCertTemplate']);
  });
});

describe('an application hook decides instead of the built-in rules', () => {
  it('sees the request and what the rules would say; its answer is final, except for the PKI names', async () => {
    const seen: IssuanceRequest[] = [];
    const server = await serve({
      policy: {
        authorize: (request) => {
          seen.push(request);
          return request.subject.endsWith('allowed') ? true : 'only names ending in "allowed"';
        },
      },
    });
    await enroll(server, { key: await newKey(), subject: '/CN=first allowed' }, pbmAs('one'));
    const again = await ask(server, pbmAs('one'), { subject: '/CN=second allowed', extensions: [eku(OCSP_SIGNING)] });
    expect(again.type).toBe('ip');
    expect(seen[1]).toMatchObject({ type: 'ir', reference: 'one', subject: 'CN=second allowed', extKeyUsages: [OCSP_SIGNING] });
    expect(seen[1]!.defaultRefusal).toContain(OCSP_SIGNING);
    const refused = await ask(server, pbmAs('one'), { subject: '/CN=refused' });
    expect(refused.failInfo).toEqual(['notAuthorized']);
    expect(refused.statusText).toContain('only names ending in "allowed"');
    const ca = await throwawayCa();
    const reserved = await ask(server, pbmAs('two'), { subject: `/${ca.server.cert.subject.split(', ').join('/')}` });
    expect(reserved.failInfo).toEqual(['notAuthorized']);
  });
});

describe('revocation', () => {
  it('with the shared secret revokes nothing: notAuthorized, and the certificate stays valid', async () => {
    const server = await serve();
    const victim = await enroll(server, { key: await newKey(), subject: '/CN=victim' }, pbmAs('victim'));
    const answer = await exchange(server, new PKIBody({ rr: buildRevReq({ cert: victim }, 1) }), { auth: pbmAs('mallory') });
    expect(answer.failInfo).toEqual(['notAuthorized']);
    expect(server.state.ca!.record(victim.serialNumber)!.revocation).toBeUndefined();
    expect(new x509.X509Crl(await server.crl()).entries).toHaveLength(0);
  });

  it('with an RA secret the operator configured revokes any certificate of the CA', async () => {
    const server = await serve({ secrets: [{ ref: 'ra', secret: 'the RA secret', ra: true }] });
    const victim = await enroll(server, { key: await newKey(), subject: '/CN=revoked by RA' }, pbmAs('device'));
    const answer = await exchange(server, new PKIBody({ rr: buildRevReq({ cert: victim }, 1) }), {
      auth: { kind: 'pbm', secret: 'the RA secret', ref: 'ra' },
    });
    expect(answer.type).toBe('rp');
    expect(answer.status).toBe(0);
    expect(new x509.X509Crl(await server.crl()).entries.map((e) => e.serialNumber)).toEqual([victim.serialNumber]);
  });

  it('signed by an RA certificate the operator configured revokes others; an id-kp-cmcRA certificate alone does not', async () => {
    const raKey = await newKey();
    const setup = await serve({ policy: { allowedExtKeyUsages: [CmpOids.idKpCmcRA] } });
    const raCert = await enroll(setup, { key: raKey, subject: '/CN=registration authority', extensions: [eku(CmpOids.idKpCmcRA)] }, pbmAs('ra'));
    const victim = await enroll(setup, { key: await newKey(), subject: '/CN=victim' }, pbmAs('victim'));
    const byEku = await exchange(setup, new PKIBody({ rr: buildRevReq({ cert: victim }, 1) }), {
      auth: { kind: 'signature', key: raKey, cert: raCert },
    });
    expect(byEku.failInfo).toEqual(['notAuthorized']);

    const configured = await serve({ raCerts: [raCert] });
    const other = await enroll(configured, { key: await newKey(), subject: '/CN=other victim' }, pbmAs('other'));
    const byRa = await exchange(configured, new PKIBody({ rr: buildRevReq({ cert: other }, 1) }), {
      auth: { kind: 'signature', key: raKey, cert: raCert },
    });
    expect(byRa.type).toBe('rp');
    expect(configured.state.ca!.record(other.serialNumber)!.revocation?.reason).toBe(1);
  });
});

import * as x509 from '@peculiar/x509';
import { validatePath } from '../../src/pki/path';
import { anyPolicy } from '../../src/pki/certificate-policies';
import { ErrorCodes } from '../../src/errors';
import {
  certificatePoliciesExtension,
  generateKey,
  issueCa,
  issueLeaf,
  policyConstraintsExtension,
  policyMappingsExtension,
  type Issued,
} from './certificate-factory';

const P1 = '1.3.6.1.4.1.99999.2.1';
const P2 = '1.3.6.1.4.1.99999.2.2';

const rejectsWith = (promise: Promise<unknown>, code: string) => expect(promise).rejects.toMatchObject({ code });

let root: Issued;

beforeAll(async () => {
  root = await issueCa({ subject: 'CN=Policy Root', key: await generateKey() });
});

/** Validates root -> each of `intermediates` (extensions given) -> a leaf with `leafExtensions`. */
async function validateChain(intermediates: x509.Extension[][], leafExtensions: x509.Extension[]): Promise<x509.X509Certificate[]> {
  let issuer = root;
  const untrusted: x509.X509Certificate[] = [];
  for (const [i, extensions] of intermediates.entries()) {
    issuer = await issueCa({ subject: `CN=Policy CA ${i + 1}`, key: await generateKey(), issuer, extensions });
    untrusted.push(issuer.cert);
  }
  const leaf = await issueLeaf({ subject: 'CN=Policy Leaf', key: await generateKey(), issuer, extensions: leafExtensions });
  return validatePath(leaf.cert, { trusted: [root.cert], untrusted });
}

const requireExplicit = (skip = 0) => policyConstraintsExtension({ requireExplicitPolicy: skip });
const policies = (...oids: string[]) => certificatePoliciesExtension(oids);

describe('certificate policies when no certificate requires an explicit policy', () => {
  it('do not matter, whatever the certificates assert', async () => {
    await expect(validateChain([[policies(P1)]], [policies(P2)])).resolves.toHaveLength(3);
    await expect(validateChain([[]], [])).resolves.toHaveLength(3);
  });

  it('still refuse a mapping to or from anyPolicy with ERR_PATH_POLICY', async () => {
    await rejectsWith(validateChain([[policies(P1), policyMappingsExtension([[P1, anyPolicy]])], []], []), ErrorCodes.ERR_PATH_POLICY);
  });
});

describe('certificate policies under requireExplicitPolicy', () => {
  it('accept a path whose certificates share a policy', async () => {
    await expect(validateChain([[policies(P1), requireExplicit()]], [policies(P1)])).resolves.toHaveLength(3);
  });

  it('reject an end certificate without certificatePolicies with ERR_PATH_POLICY', async () => {
    await rejectsWith(validateChain([[policies(P1), requireExplicit()]], []), ErrorCodes.ERR_PATH_POLICY);
  });

  it('reject an end certificate asserting a policy its CA does not', async () => {
    await rejectsWith(validateChain([[policies(P1), requireExplicit()]], [policies(P2)]), ErrorCodes.ERR_PATH_POLICY);
  });

  it('let a CA asserting anyPolicy cover any policy below it', async () => {
    await expect(validateChain([[policies(anyPolicy), requireExplicit()]], [policies(P2)])).resolves.toHaveLength(3);
  });

  it('stop honouring anyPolicy below inhibitAnyPolicy 0', async () => {
    const inhibitAny = new x509.Extension('2.5.29.54', true, new Uint8Array([0x02, 0x01, 0x00]));
    await rejectsWith(validateChain([[policies(anyPolicy), requireExplicit(), inhibitAny]], [policies(anyPolicy)]), ErrorCodes.ERR_PATH_POLICY);
    await expect(validateChain([[policies(anyPolicy), requireExplicit(), inhibitAny]], [policies(P2)])).resolves.toHaveLength(3);
  });

  it('count skipCerts from the certificate that carries the constraint', async () => {
    await expect(validateChain([[requireExplicit(2)]], [])).resolves.toHaveLength(3);
    await rejectsWith(validateChain([[requireExplicit(1)]], []), ErrorCodes.ERR_PATH_POLICY);
  });
});

describe('policy mappings', () => {
  it('let an issuer-domain policy stand for the subject-domain policy it maps to', async () => {
    const mapping = [policies(P1), policyMappingsExtension([[P1, P2]])];
    await expect(validateChain([[policies(P1), requireExplicit()], mapping], [policies(P2)])).resolves.toHaveLength(4);
    await rejectsWith(validateChain([[policies(P1), requireExplicit()], [policies(P1)]], [policies(P2)]), ErrorCodes.ERR_PATH_POLICY);
  });

  it('are void below inhibitPolicyMapping 0', async () => {
    const inhibitMapping = policyConstraintsExtension({ requireExplicitPolicy: 0, inhibitPolicyMapping: 0 });
    const mapping = [policies(P1), policyMappingsExtension([[P1, P2]])];
    await rejectsWith(validateChain([[policies(P1), inhibitMapping], mapping], [policies(P2)]), ErrorCodes.ERR_PATH_POLICY);
  });
});

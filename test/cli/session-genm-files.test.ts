/**
 * A genm whose -infotype writes files (caCerts → -cacertsout, certReqTemplate → -template and
 * -keyspec, crlStatusList → -crlout in -crlform, rootCaCert → -newwithnew, -newwithold,
 * -oldwithnew) run with `-session FILE -nowait` against cmpflow's embedded CA delaying its genp,
 * then finished with `-resume FILE` and the secret alone: the resume writes the same files, byte
 * for byte, as the same command run without a session file (which polls in-process) and as the
 * server's configuration holds them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { X509Certificate } from '@peculiar/x509';
import { encodePem, parsePem } from '../../src/credentials/pem';
import { mockCertReqTemplate } from '../../src/cli/mock-template';
import { createCmpServer, createThrowawayCa, listen, type CmpServer, type ThrowawayCa } from '../../src/server';
import { generateKey, issueCa } from '../pki/certificate-factory';
import { cmpflow, scratchDir } from './run-support';

const REF = 'device-1';
const SECRET = 'session-genm-files-secret';
let ca: ThrowawayCa;
let dir: string;
let caCertFile: string;
const pemFile = (name: string, cert: X509Certificate) => {
  const file = path.join(dir, name);
  writeFileSync(file, encodePem('CERTIFICATE', new Uint8Array(cert.rawData)));
  return file;
};
const update: Record<string, X509Certificate> = {};
let oldRootFile: string;

beforeAll(async () => {
  ca = await createThrowawayCa();
  dir = scratchDir();
  caCertFile = pemFile('ca.pem', ca.ca.cert);
  const oldKey = await generateKey();
  const newKey = await generateKey();
  const oldRoot = await issueCa({ subject: 'CN=Session Root G1', key: oldKey });
  const newRoot = await issueCa({ subject: 'CN=Session Root G2', key: newKey });
  update.oldRoot = oldRoot.cert;
  update.newWithNew = newRoot.cert;
  update.newWithOld = (await issueCa({ subject: 'CN=Session Root G2', key: newKey, issuer: oldRoot })).cert;
  update.oldWithNew = (await issueCa({ subject: 'CN=Session Root G1', key: oldKey, issuer: newRoot })).cert;
  oldRootFile = pemFile('old-root.pem', oldRoot.cert);
});
afterAll(async () => ca?.cleanup());

const template = () => mockCertReqTemplate(ca.ca.cert, false);

/** The embedded CA answering every genm after `waiting` answers (`delay` of them), with a root CA key update and a request template. */
async function withDelayingCa<T>(run: (url: string, server: CmpServer) => Promise<T>, delay = 2): Promise<T> {
  const server = createCmpServer({
    ...ca.serverConfig(),
    secrets: [{ ref: REF, secret: SECRET }],
    delayedDelivery: { genm: delay },
    checkAfter: 1,
    rootCaKeyUpdate: {
      oldRoot: update.oldRoot!,
      newWithNew: update.newWithNew!,
      newWithOld: update.newWithOld!,
      oldWithNew: update.oldWithNew!,
    },
    certReqTemplate: template(),
  });
  const listener = await listen(server);
  try {
    return await run(listener.url, server);
  } finally {
    await listener.close();
  }
}

const genm = (url: string) => [
  '-config',
  '',
  '-server',
  url,
  '-trusted',
  caCertFile,
  '-recipient',
  '/CN=CA',
  '-ref',
  REF,
  '-secret',
  `pass:${SECRET}`,
  '-cmd',
  'genm',
];

/** -infotype and its output options, writing into `out`. */
const cases: Record<string, (out: string) => string[]> = {
  caCerts: (out) => ['-infotype', 'caCerts', '-cacertsout', path.join(out, 'cacerts.pem')],
  certReqTemplate: (out) => ['-infotype', 'certReqTemplate', '-template', path.join(out, 'template.der'), '-keyspec', path.join(out, 'keyspec.der')],
  crlStatusList: (out) => ['-infotype', 'crlStatusList', '-crlcert', caCertFile, '-crlout', path.join(out, 'crl.pem'), '-crlform', 'PEM'],
  rootCaCert: (out) => [
    '-infotype',
    'rootCaCert',
    '-oldwithold',
    oldRootFile,
    '-newwithnew',
    path.join(out, 'newwithnew.pem'),
    '-newwithold',
    path.join(out, 'newwithold.pem'),
    '-oldwithnew',
    path.join(out, 'oldwithnew.pem'),
  ],
};

/** What each -infotype must leave in its directory (DER; of PEM files, the DER they hold), as the server has it. */
async function expected(infoType: string, server: CmpServer): Promise<Record<string, Buffer>> {
  const der = (c: X509Certificate) => Buffer.from(c.rawData);
  if (infoType === 'caCerts') return { 'cacerts.pem': der(ca.ca.cert) };
  if (infoType === 'certReqTemplate') {
    const content = template();
    return {
      'template.der': Buffer.from(AsnConvert.serialize(content.certTemplate)),
      'keyspec.der': Buffer.from(AsnConvert.serialize(content.keySpec!)),
    };
  }
  if (infoType === 'crlStatusList') return { 'crl.pem': Buffer.from(await server.state.ca!.crl()) };
  return {
    'newwithnew.pem': der(update.newWithNew!),
    'newwithold.pem': der(update.newWithOld!),
    'oldwithnew.pem': der(update.oldWithNew!),
  };
}

/** A file's content: the DER its PEM blocks hold, one after the other, or its bytes. */
function contentOf(file: string): Buffer {
  if (!file.endsWith('.pem')) return readFileSync(file);
  return Buffer.concat(parsePem(readFileSync(file, 'utf8')).map((b) => b.der));
}

describe('a genm -infotype command resumed from a session file', () => {
  it.each(Object.keys(cases))(
    '%s: -resume writes the files a run without a session file writes, as the server sent them',
    async (infoType) => {
      await withDelayingCa(async (url, server) => {
        const straight = path.join(dir, `${infoType}-straight`);
        const resumed = path.join(dir, `${infoType}-resumed`);
        mkdirSync(straight);
        mkdirSync(resumed);
        const sessionFile = path.join(dir, `${infoType}.json`);

        const plain = await cmpflow([...genm(url), ...cases[infoType]!(straight)]);
        expect({ code: plain.code, errors: plain.errors }).toEqual({ code: 0, errors: [] });

        const waiting = await cmpflow([...genm(url), ...cases[infoType]!(resumed), '-session', sessionFile, '-nowait']);
        expect({ code: waiting.code, errors: waiting.errors }).toEqual({ code: 3, errors: [] });
        const want = await expected(infoType, server);
        for (const name of Object.keys(want)) expect(existsSync(path.join(resumed, name))).toBe(false);

        const done = await cmpflow(['-resume', sessionFile, '-secret', `pass:${SECRET}`]);
        expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
        expect(existsSync(sessionFile)).toBe(false);
        for (const [name, content] of Object.entries(want)) {
          expect(readFileSync(path.join(resumed, name))).toEqual(readFileSync(path.join(straight, name)));
          expect(contentOf(path.join(resumed, name))).toEqual(content);
        }
      });
    },
    60_000,
  );

  it('takes an output option given again at -resume over the saved one', async () => {
    await withDelayingCa(async (url) => {
      const sessionFile = path.join(dir, 'override.json');
      const saved = path.join(dir, 'override-saved.pem');
      const given = path.join(dir, 'override-given.pem');
      expect((await cmpflow([...genm(url), '-infotype', 'caCerts', '-cacertsout', saved, '-session', sessionFile, '-nowait'])).code).toBe(3);
      const done = await cmpflow(['-resume', sessionFile, '-secret', `pass:${SECRET}`, '-cacertsout', given]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(existsSync(saved)).toBe(false);
      expect(parsePem(readFileSync(given, 'utf8')).map((b) => Buffer.from(b.der))).toEqual([Buffer.from(ca.ca.cert.rawData)]);
    });
  }, 60_000);

  it('with the CA still delaying at -resume -nowait, keeps the session file and writes nothing yet', async () => {
    await withDelayingCa(async (url) => {
      const sessionFile = path.join(dir, 'still.json');
      const out = path.join(dir, 'still-template.der');
      const argv = [...genm(url), '-infotype', 'certReqTemplate', '-template', out, '-session', sessionFile, '-nowait'];
      expect((await cmpflow(argv)).code).toBe(3);
      // Another `waiting` answer (a pollRep): the transaction stays in the file.
      const again = await cmpflow(['-resume', sessionFile, '-secret', `pass:${SECRET}`, '-nowait']);
      expect({ code: again.code, errors: again.errors }).toEqual({ code: 3, errors: [] });
      expect(existsSync(sessionFile)).toBe(true);
      expect(existsSync(out)).toBe(false);
      const done = await cmpflow(['-resume', sessionFile, '-secret', `pass:${SECRET}`]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(readFileSync(out)).toEqual(Buffer.from(AsnConvert.serialize(template().certTemplate)));
    }, 4);
  }, 60_000);
});

/**
 * The cryptography a PBM IR session makes the embedded CA do, alone, in one warm process (issue
 * #22): what any server answering the same session spends on it whatever its language, part of
 * the floor beside the HTTP listener's (bench/ca-server.ts's node:http and node:net rows).
 *
 * One session: the two requests' PasswordBasedMac keys from fresh salts (500 SHA-256 rounds each,
 * as OpenSSL's client sends them), four HMAC-SHA1 (two requests checked, two answers protected),
 * the ir's POPO (an ECDSA P-256 verification over its certificate request), the certificate's
 * ECDSA P-256 signature, and the random values (two senderNonces, a serial number, a salt lookup's
 * SHA-256 each). Node's own calls, as src/crypto makes them; CPU from process.cpuUsage, medians of
 * rounds.
 *
 *   npx ts-node --transpile-only bench/ca-crypto-floor.ts [sessions per round] [rounds]
 */
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign, verify } from 'crypto';
import { iterateSha256 } from '../src/crypto/sha256-iteration';
import { fixed, median } from './support/stats';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const certRequest = randomBytes(300);
const popo = sign('sha256', certRequest, privateKey);
const tbsCertificate = randomBytes(450);
const message = randomBytes(900);
const secret = Buffer.from('bench-secret');

function pbmKey(): Uint8Array {
  // The first round over secret || salt, the other 499 over the 32-byte value (src/crypto/node.ts).
  const first = createHash('sha256')
    .update(Buffer.concat([secret, randomBytes(16)]))
    .digest();
  return iterateSha256(first, 499);
}

function session(): void {
  const keys = [pbmKey(), pbmKey()];
  for (const key of [...keys, ...keys]) createHmac('sha1', key).update(message).digest();
  if (!verify('sha256', certRequest, publicKey, popo)) throw new Error('the POPO does not verify');
  sign('sha256', tbsCertificate, privateKey);
  randomBytes(16);
  randomBytes(16);
  randomBytes(20);
  for (let i = 0; i < 4; i++) createHash('sha256').update(message.subarray(0, 60)).digest();
}

const sessions = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 7);
for (let i = 0; i < sessions; i++) session();
const perSession: number[] = [];
for (let r = 0; r < rounds; r++) {
  const before = process.cpuUsage();
  for (let i = 0; i < sessions; i++) session();
  const used = process.cpuUsage(before);
  perSession.push((used.user + used.system) / 1000 / sessions);
}
process.stdout.write(
  `crypto of a PBM IR session: ${fixed(median(perSession), 3)} ms CPU (rounds ${perSession.map((x) => fixed(x, 3)).join(', ')})\n`,
);

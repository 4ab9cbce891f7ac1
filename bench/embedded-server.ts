/**
 * Child program: the embedded CA listening on loopback in a process of its own, so that client
 * and server each get a core. Prints `{"url": ..., "caCert": <base64 DER>}` once listening, runs
 * until its stdin closes, then prints its CPU time and peak RSS as a second JSON line.
 */
import 'reflect-metadata';
import type * as Server from '../src/server';
import { requireDist } from './support/dist';
import { startEmbeddedCa } from './support/embedded';

async function main(): Promise<void> {
  const { listen } = requireDist<typeof Server>('src/server');
  const { server, ca } = await startEmbeddedCa();
  const listener = await listen(server);
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ url: listener.url, caCert: Buffer.from(ca.ca.cert.rawData).toString('base64') })}\n`);
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
  await listener.close();
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({ cpuMs: (used.user + used.system) / 1000, maxRssKb: process.resourceUsage().maxRSS, requests: server.state.counters.requests })}\n`,
  );
  await ca.cleanup();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});

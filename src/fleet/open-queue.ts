/**
 * One name for a fleet queue: `redis://HOST:PORT[/DB]` (or rediss://) is BullMQ on Redis, loaded
 * only then, so that a fleet without Redis needs neither BullMQ nor ioredis; anything else is a
 * local directory (the embedded default).
 */
import { CmpError, ErrorCodes } from '../errors';
import { openDirectoryQueue, type DirectoryQueueOptions } from './directory-queue';
import type { FleetQueue } from './queue';

export interface OpenFleetQueueOptions extends DirectoryQueueOptions {
  /** Redis key prefix (BullMQ queues). */
  prefix?: string;
}

interface BullmqModule {
  openBullmqQueue(url: string, options?: { prefix?: string }): Promise<FleetQueue>;
}

export function isRedisQueue(q: string): boolean {
  return /^rediss?:\/\//i.test(q);
}

export async function openFleetQueue(q: string, options: OpenFleetQueueOptions = {}): Promise<FleetQueue> {
  if (!isRedisQueue(q)) {
    const { prefix: _prefix, ...directory } = options;
    return openDirectoryQueue(q, directory);
  }
  // A module name the compiler does not follow: the Redis backend is optional at build and run time.
  const name = './bullmq-queue';
  let backend: BullmqModule;
  try {
    backend = (await import(name)) as BullmqModule;
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_QUEUE, `${q}: the Redis queue backend could not be loaded (${e instanceof Error ? e.message : String(e)})`, {
      cause: e,
    });
  }
  return backend.openBullmqQueue(q, options.prefix !== undefined ? { prefix: options.prefix } : {});
}

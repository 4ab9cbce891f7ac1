/**
 * Shows that an enrollment waits for the CA before it polls again. On a terminal it is one line
 * counting down the seconds, rewritten in place and erased when the wait ends; elsewhere (a log
 * file, a pipe) it is one plain line per wait, so that logs do not fill with carriage returns.
 * Shown from -verbosity 6 (INFO) on, like OpenSSL's info lines.
 */
import { LogLevel, type CliLog } from './log';

const CLEAR_LINE = '\r\x1b[K';

export class PollProgress {
  constructor(
    private readonly log: CliLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts showing a wait that ends at `until` (epoch ms) before poll number `poll`; returns its stop. */
  show(until: number, poll: number): () => void {
    const seconds = Math.ceil((until - this.now()) / 1000);
    // A poll that is already due (a `waiting` ip asks for one at once) is no wait worth showing.
    if (seconds <= 0 || !this.log.enabled(LogLevel.INFO)) return () => undefined;
    const out = this.log.stderr;
    if (!out.isTTY) {
      this.log.info(`waiting ${seconds} s before polling (poll ${poll})`);
      return () => undefined;
    }
    const draw = () => {
      const left = Math.max(0, Math.ceil((until - this.now()) / 1000));
      out.write(`${CLEAR_LINE}CMP info: waiting for the server, poll ${poll} in ${left} s`);
    };
    draw();
    const timer = setInterval(draw, 1000);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      out.write(CLEAR_LINE);
    };
  }

  /** Sleeps until `until` while showing the wait; an abort ends the sleep early. */
  async sleepUntil(until: number, poll: number, signal?: AbortSignal): Promise<void> {
    const stop = this.show(until, poll);
    try {
      await new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const timer = setTimeout(resolve, Math.max(0, until - this.now()));
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    } finally {
      stop();
    }
  }
}

/**
 * What cmpflow says when Ctrl-C cuts a client command short: whether the transaction can be
 * continued and how. Only a transaction held in a session file can; one that was waiting for the
 * server without -session is gone with the process, and the notice says how to avoid that next time.
 */

/** Single-quoted for a POSIX shell when it contains anything a shell would interpret. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export class InterruptNotice {
  #file: string | undefined;
  #waiting = false;

  /** The session file that holds the transaction from now on; undefined once none does. */
  heldIn(file: string | undefined): void {
    this.#file = file;
  }

  /** Whether the server has the request waiting (the client is polling or resting between polls). */
  waiting(waiting: boolean): void {
    this.#waiting = waiting;
  }

  /** The stderr line for an interrupt now, ending with a newline. */
  message(): string {
    if (this.#file !== undefined) {
      const file = shellWord(this.#file);
      return `cmpflow: interrupted; the transaction is saved in ${file}; continue it with: cmpflow -resume ${file} (plus this command's server and credential options)\n`;
    }
    if (this.#waiting) {
      return 'cmpflow: interrupted while the server had the request waiting; it cannot be continued (give -session FILE to make a waiting enrollment resumable)\n';
    }
    return 'cmpflow: interrupted\n';
  }
}

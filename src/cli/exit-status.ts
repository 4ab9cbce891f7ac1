/**
 * `cmpflow`'s exit statuses besides 0 (success) and 1 (failure), in a module of their own so that
 * main() exports them without loading the session code. docs/cli.md lists every status the
 * command uses (test/cli/exit-status.test.ts holds it to that).
 */

/** Exit status of a command that left its transaction waiting in a session file. */
export const EXIT_WAITING = 3;

/** Exit status after SIGINT (Ctrl-C): 128 + the signal number, what a shell reports for it. */
export const EXIT_INTERRUPTED = 130;

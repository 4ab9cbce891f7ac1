/**
 * `cmpflow`'s exit statuses besides 0 (success) and 1 (failure), in a module of their own so that
 * main() exports them without loading the session code.
 */

/** Exit status of a command that left its transaction waiting in a session file. */
export const EXIT_WAITING = 3;

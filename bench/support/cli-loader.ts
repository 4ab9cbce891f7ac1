/**
 * What the start-up benches take from bin/cli-loader.js, the command's own loader: where the
 * bundle and its code cache are, and what the loader does before a transaction runs, so that a
 * bench that imitates the loader (a bare process, a snapshot's main function) does the same.
 */
import * as path from 'path';
import { ROOT } from './dist';

export const loader = require(path.join(ROOT, 'bin', 'cli-loader.js')) as {
  BUNDLE: string;
  CACHE: string;
  TRANSACTION_BUILTINS: string[];
  TIERING_FLAGS: string;
};

/** Source that loads the built-ins a transaction loads, as the loader's loadTransactionBuiltins does. */
export const transactionBuiltinsSource = `for (const name of ${JSON.stringify(loader.TRANSACTION_BUILTINS)}) require(name);\nvoid require('crypto').webcrypto;\n`;

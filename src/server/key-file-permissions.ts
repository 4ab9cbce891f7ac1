/**
 * A private key file the CA reads back (a reused throwaway CA folder) must be a regular file that
 * only its owner can read. One that group or others can read is refused, not quietly narrowed to
 * 0600: whoever could read it may already hold a copy, and the operator should learn that and
 * decide (chmod 600, or a new CA), as OpenSSH refuses an "UNPROTECTED PRIVATE KEY FILE". A
 * symlink is refused too, so that the folder cannot point the CA at a key elsewhere.
 */
import { promises as fs } from 'node:fs';
import { CmpError, ErrorCodes } from '../errors';

export async function checkPrivateKeyFile(file: string): Promise<void> {
  let stat;
  try {
    stat = await fs.lstat(file);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_FILE, `cannot read private key file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'read error'}`, {
      cause: e,
    });
  }
  if (stat.isSymbolicLink())
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `private key file ${file} is a symbolic link; the CA reads only regular files it owns`);
  if (!stat.isFile()) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `private key file ${file} is not a regular file`);
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new CmpError(
      ErrorCodes.ERR_CREDENTIALS,
      `private key file ${file} is readable or writable by others (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 on it if nobody else can have read it, else make a new CA`,
    );
  }
}

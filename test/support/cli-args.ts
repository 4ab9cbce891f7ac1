/**
 * Command-line pieces the CLI tests share: the embedded CA run in-process (-use_mock_srv) and a
 * client that protects its requests with a MAC under the same secret.
 */

/** `cmpflow` with the in-process mock server, MAC-protected under `secret` (reference `srv`). */
export const mockServerArgs = (secret: string, store?: string): string[] => [
  '-config',
  '',
  '-use_mock_srv',
  ...(store !== undefined ? ['-srv_store', store] : []),
  '-srv_ref',
  'srv',
  '-srv_secret',
  `pass:${secret}`,
];

/** A client protecting with a MAC under `secret`, as reference `ref`, to the embedded CA's name. */
export const macClientArgs = (secret: string, ref = 'client'): string[] => ['-ref', ref, '-secret', `pass:${secret}`, '-recipient', '/CN=CA'];

/** Both: the embedded CA in-process and a MAC client of it. */
export const embeddedMacArgs = (secret: string): string[] => [...mockServerArgs(secret), ...macClientArgs(secret)];

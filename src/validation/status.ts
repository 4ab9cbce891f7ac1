/**
 * PKIStatusInfo as the rest of cmpflow sees it: status names, failInfo bit names and free text as
 * plain values (`StatusView`), and the CmpError a negative status becomes.
 */
import { pkiStatusName, type PKIFreeText, type PKIStatusInfo } from '../asn1';
import { CmpError, ErrorCodes, type ErrorCode } from '../errors';
import type { StatusView } from './results';

/** The RFC 9810 name of a PKIStatus, or `unknown(<n>)` for a value the RFC does not define. */
export function statusName(status: number): string {
  return pkiStatusName(status) ?? `unknown(${status})`;
}

/** The strings of a PKIFreeText, or undefined when it is absent or empty. */
export function freeTextStrings(text: PKIFreeText | undefined): string[] | undefined {
  if (!text || text.length === 0) return undefined;
  return Array.from(text);
}

/** Bit names of a PKIFailureInfo, or undefined when it is absent or has no bit set. */
function failInfoNames(info: PKIStatusInfo['failInfo']): string[] | undefined {
  const names = info?.toNames();
  return names && names.length > 0 ? names : undefined;
}

export function statusView(info: PKIStatusInfo): StatusView {
  const failInfo = failInfoNames(info.failInfo);
  const statusString = freeTextStrings(info.statusString);
  return {
    status: info.status,
    statusName: statusName(info.status),
    ...(failInfo ? { failInfo } : {}),
    ...(statusString ? { statusString } : {}),
  };
}

/** Human-readable summary, e.g. `rejection; failInfo: badPOP; "key too short"`. */
export function describeStatus(view: StatusView): string {
  const parts = [view.statusName];
  if (view.failInfo) parts.push(`failInfo: ${view.failInfo.join(', ')}`);
  if (view.statusString) parts.push(view.statusString.map((s) => JSON.stringify(s)).join(', '));
  return parts.join('; ');
}

/**
 * The CmpError for a PKIStatusInfo that refuses what we asked: ERR_REQUEST_REJECTED by default,
 * carrying the server's status, failInfo and statusString.
 */
export function statusError(info: PKIStatusInfo, what: string, code: ErrorCode = ErrorCodes.ERR_REQUEST_REJECTED): CmpError {
  const view = statusView(info);
  return new CmpError(code, `${what}: ${describeStatus(view)}`, {
    status: view.status,
    ...(view.failInfo ? { failInfo: view.failInfo } : {}),
    ...(view.statusString ? { statusString: view.statusString } : {}),
  });
}

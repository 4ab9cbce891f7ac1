import { CmpError, ErrorCodes } from 'cmpflow';
export function probe(): string { return new CmpError(ErrorCodes.ERR_INTERNAL, 'x').code; }

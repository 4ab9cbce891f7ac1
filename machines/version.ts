/**
 * The version of the machine definitions. A persisted snapshot records it; a snapshot taken by a
 * different version may not fit the states and context of this one, so resume refuses it.
 */
export const MACHINE_VERSION = 1;

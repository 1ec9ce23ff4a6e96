/** Process exit codes, after sysexits(3) where one fits. */
export const EXIT = {
  OK: 0,
  /** The job ran and failed (a service stayed unreachable past its deadline, a query failed). */
  FAILURE: 1,
  /** Bad command line: unknown flag, missing argument. */
  USAGE: 2,
  /** An input file could not be read. */
  NO_INPUT: 66,
  /** A bug: an exception nobody expected. */
  SOFTWARE: 70,
  /** Invalid configuration (pipeline file, environment); the message names the field. */
  CONFIG: 78,
} as const;

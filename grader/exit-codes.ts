/** Exit codes of `npm run grade`, one per kind of outcome, so scripts and CI can tell them apart. */
export const EXIT = {
  /** Every requested check passed. */
  passed: 0,
  /** Some check failed. */
  failed: 1,
  /** The command line was wrong: unknown stage, bad flag, missing exercise file. */
  usage: 2,
  /** The server could not be started: syntax error, exits at once, never listens, port taken. */
  serverDidNotStart: 3,
  /** The machine is not ready: Node too old, dependencies not installed. */
  environment: 4,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

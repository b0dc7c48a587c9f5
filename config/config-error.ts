/** A start-up configuration problem: printed as one line, exits with status 2. */
export class ConfigError extends Error {
  readonly code = 'OBSMON_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

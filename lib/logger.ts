/**
 * One-line logs to stderr: `<iso time> <level> <component>: <message>`. Capitalised message, foreign
 * text quoted, no per-line logs for bad input (use RateLimitedLog).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child(component: string): Logger;
}

export function createLogger(
  component: string,
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const emit = (at: LogLevel, message: string) => {
    if (RANK[at] >= RANK[level]) write(`${new Date().toISOString()} ${at} ${component}: ${message}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (sub) => createLogger(`${component}/${sub}`, level, write),
  };
}

/** A logger that drops everything: for tests and library use. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

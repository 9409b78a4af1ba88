import type { LogLevel } from '@nestjs/common';
import type { Environment } from './environment';

const ORDER: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const CUT: Record<Environment['LOG_LEVEL'], number> = {
  silent: 0,
  fatal: 1,
  error: 2,
  warn: 3,
  info: 4,
  debug: 5,
  trace: 6,
};

/** Nest's logger levels for LOG_LEVEL; `false` silences it. */
export function nestLogLevels(level: Environment['LOG_LEVEL']): LogLevel[] | false {
  const cut = CUT[level];
  return cut === 0 ? false : ORDER.slice(0, cut);
}

/**
 * Structured logs (pino) for every role: readable lines (pino-pretty) when a person watches a terminal, JSON lines
 * otherwise (a file, a pipe, a log shipper) or whenever LOG_FORMAT=json says so.
 */
import pino from 'pino'
import type { LogFormat } from './config.ts'

export type Logger = pino.Logger

/**
 * No log line carries a credential, whoever logs a request or its headers: the access audit names keys, never their
 * secrets (docs/ARCHITECTURE.md, Access).
 */
export const REDACT = {
  paths: ['headers.authorization', '*.headers.authorization', 'authorization', '*.authorization'],
  censor: '[redacted]',
}

/** Whether logs are pretty-printed: `pretty` and `json` say so; `auto` follows whether stderr is a terminal. */
export function prettyLogs(format: LogFormat, stderrIsTTY: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stderrIsTTY)
}

/**
 * A logger on stderr; without `format` it writes JSON (tests, benchmarks, library use). `destination`: where JSON
 * lines go instead of stderr (a test reads them).
 */
export function createLogger(opts: {
  level: string
  name?: string
  format?: LogFormat
  destination?: pino.DestinationStream
}): Logger {
  const base = { level: opts.level, redact: REDACT, ...(opts.name === undefined ? {} : { name: opts.name }) }
  if (prettyLogs(opts.format ?? 'json', process.stderr.isTTY === true)) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: {
          colorize: true,
          destination: 2,
          ignore: 'pid,hostname',
          translateTime: 'SYS:HH:MM:ss',
          singleLine: true,
        },
      },
    })
  }
  return pino(base, opts.destination ?? pino.destination(2))
}

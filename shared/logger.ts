/**
 * Structured logs (pino) for every role: readable lines (pino-pretty) when a person watches a terminal, JSON lines
 * otherwise (a file, a pipe, a log shipper) or whenever LOG_FORMAT=json says so.
 */
import pino from 'pino'
import type { LogFormat } from './config.ts'

export type Logger = pino.Logger

/** Whether logs are pretty-printed: `pretty` and `json` say so; `auto` follows whether stderr is a terminal. */
export function prettyLogs(format: LogFormat, stderrIsTTY: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stderrIsTTY)
}

/** A logger on stderr; without `format` it writes JSON (tests, benchmarks, library use). */
export function createLogger(opts: { level: string; name?: string; format?: LogFormat }): Logger {
  const base = { level: opts.level, ...(opts.name === undefined ? {} : { name: opts.name }) }
  if (prettyLogs(opts.format ?? 'json', process.stderr.isTTY === true)) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, destination: 2, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss', singleLine: true } },
    })
  }
  return pino(base, pino.destination(2))
}

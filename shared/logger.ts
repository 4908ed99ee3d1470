/** Structured logs (pino) for every role. Pretty output only when a person watches a terminal. */
import pino from 'pino'

export type Logger = pino.Logger

export function createLogger(opts: { level: string; name?: string; pretty?: boolean }): Logger {
  const base = { level: opts.level, ...(opts.name === undefined ? {} : { name: opts.name }) }
  if (opts.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, destination: 2 } } })
  }
  return pino(base, pino.destination(2))
}

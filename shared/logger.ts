/** Structured logs (pino) for every role. Pretty output only when a person watches a terminal. */
import pino from 'pino'

export type Logger = pino.Logger

/**
 * No log line carries a credential, whoever logs a request or its headers: the access audit names keys, never their
 * secrets (docs/ARCHITECTURE.md, Access).
 */
export const REDACT = { paths: ['headers.authorization', '*.headers.authorization', 'authorization', '*.authorization'], censor: '[redacted]' }

/** `destination`: where the lines go instead of stderr (a test reads them). */
export function createLogger(opts: { level: string; name?: string; pretty?: boolean; destination?: pino.DestinationStream }): Logger {
  const base = { level: opts.level, redact: REDACT, ...(opts.name === undefined ? {} : { name: opts.name }) }
  if (opts.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, destination: 2 } } })
  }
  return pino(base, opts.destination ?? pino.destination(2))
}

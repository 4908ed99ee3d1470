/** Structured logs (pino) for every role. Pretty output only when a person watches a terminal. */
import pino from 'pino'

export type Logger = pino.Logger

/**
 * No log line carries a credential, whoever logs a request or its headers: the access audit names keys, never their
 * secrets (docs/ARCHITECTURE.md, Access).
 */
export const REDACT = { paths: ['req.headers.authorization', 'headers.authorization', 'request.headers.authorization', 'authorization'], censor: '[redacted]' }

export function createLogger(opts: { level: string; name?: string; pretty?: boolean }): Logger {
  const base = { level: opts.level, redact: REDACT, ...(opts.name === undefined ? {} : { name: opts.name }) }
  if (opts.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, destination: 2 } } })
  }
  return pino(base, pino.destination(2))
}

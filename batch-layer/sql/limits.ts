/**
 * How much one `playcount sql` session may take, and how DuckDB's failures reach the person who ran the query:
 * one line with a stable code, naming the limit that stopped the query and the flag that raises it.
 */
import { Errors, isPlaycountError } from '../../shared/errors.ts'

export interface SqlLimits {
  /** DuckDB's memory_limit, e.g. '2GB'. */
  memoryLimit: string
  /** How much the session may spill into its private temp folder (max_temp_directory_size), e.g. '8GB'. */
  tempLimit: string
  /** A statement still running after this long is interrupted. */
  timeoutMs: number
  /** Rows a result may have: they are held in the JavaScript heap, which no DuckDB setting bounds. */
  maxRows: number
}

/** Defaults a laptop survives; DuckDB's own are 80% of the RAM, 90% of the free disk and no time limit. */
export const SQL_LIMITS: Readonly<SqlLimits> = Object.freeze({
  memoryLimit: '2GB',
  tempLimit: '8GB',
  timeoutMs: 120_000,
  maxRows: 1_000_000,
})

/** A size as DuckDB reads it: a number and a unit (KB, MB, GB, TB, or KiB ... TiB). */
export const SIZE_RULE = /^[0-9]+(\.[0-9]+)?\s*[KMGT]i?B$/

/** DuckDB's message without its hints and the caret under the query: the first paragraph, on one line. */
export function oneLine(message: string): string {
  return (message.split(/\n\s*\n/)[0] ?? '').replace(/\s*\n\s*/g, ' ').trim()
}

/** The registry error for what DuckDB threw while running a query; errors that are not DuckDB's pass unchanged. */
export function sqlError(err: unknown, limits: Readonly<SqlLimits>, timedOut: boolean): unknown {
  if (isPlaycountError(err) || !(err instanceof Error)) return err
  // DuckDB's messages start with their kind ("Parser Error: ..."); the client may put "Failed to ...: " before it.
  const m = /^(?:Failed to [a-z ]+: )?(([A-Za-z ]+) Error: [\s\S]*)$/.exec(err.message)
  if (!m) return err
  const [, message = '', kind] = m
  if (kind === 'INTERRUPT') {
    if (!timedOut) return new Errors.SQL_INVALID('interrupted', { cause: err })
    return new Errors.SQL_TIMEOUT(
      `it ran past the ${limits.timeoutMs / 1000} s time limit; raise it with --timeout <seconds>`,
      { cause: err },
    )
  }
  if (kind === 'Out of Memory') {
    const what = /max_temp_directory_size/.test(message)
      ? `it spilled more than the ${limits.tempLimit} temp space limit to disk; raise it with --temp-limit <size>`
      : `it needs more than the ${limits.memoryLimit} memory limit; raise it with --memory-limit <size> (e.g. 8GB)`
    return new Errors.SQL_MEMORY_LIMIT(what, { cause: err })
  }
  if (kind === 'Permission')
    return new Errors.SQL_FORBIDDEN(`only the lake can be read here: ${oneLine(message)}`, { cause: err })
  return new Errors.SQL_INVALID(oneLine(message), { cause: err })
}

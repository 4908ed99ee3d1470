/**
 * The one error registry of playcount. Every error the code throws on purpose is one of these: a stable
 * `PLAYCOUNT_*` code, an HTTP status where it applies, and whether retrying the same operation can succeed.
 * docs/ERRORS.md lists the same codes; a test keeps the two in step.
 */
import createError from '@fastify/error'

export interface PlaycountError extends Error {
  readonly code: string
  readonly statusCode: number
  readonly retryable: boolean
}

interface ErrorClass {
  new (...args: Array<string | number | { cause: unknown }>): PlaycountError
  /** The stable code, e.g. `Errors.BATCH_LOCKED.code === 'PLAYCOUNT_BATCH_LOCKED'`. */
  readonly code: string
}

function define(code: string, message: string, statusCode: number, retryable: boolean): ErrorClass {
  const Base = createError(code, message, statusCode)
  return class extends Base {
    static readonly code = code
    readonly retryable = retryable
  } as unknown as ErrorClass
}

export const Errors = {
  CONFIG_INVALID: define('PLAYCOUNT_CONFIG_INVALID', 'Invalid configuration: %s', 500, false),
  SIGNAL_RULES_INVALID: define('PLAYCOUNT_SIGNAL_RULES_INVALID', 'Invalid interest rules in %s: %s', 500, false),
  EVENT_INVALID: define('PLAYCOUNT_EVENT_INVALID', 'Invalid event: %s', 400, false),
  PAYLOAD_TOO_LARGE: define('PLAYCOUNT_PAYLOAD_TOO_LARGE', 'Payload too large: %s', 413, false),
  UNSUPPORTED_MEDIA_TYPE: define('PLAYCOUNT_UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type: %s', 415, false),
  KAFKA_UNAVAILABLE: define('PLAYCOUNT_KAFKA_UNAVAILABLE', 'Kafka cannot take the events: %s', 503, true),
  LAKE_IO: define('PLAYCOUNT_LAKE_IO', 'Lake read or write failed: %s', 503, true),
  LAKE_URI_INVALID: define(
    'PLAYCOUNT_LAKE_URI_INVALID',
    'LAKE_URI is not a folder or s3://bucket/prefix: %s',
    500,
    false,
  ),
  SERVICE_START_FAILED: define('PLAYCOUNT_SERVICE_START_FAILED', 'Service %s did not start: %s', 500, false),
  SERVICE_FETCH_FAILED: define('PLAYCOUNT_SERVICE_FETCH_FAILED', 'Fetching %s failed: %s', 500, true),
  NOT_FOUND: define('PLAYCOUNT_NOT_FOUND', '%s not found: %s', 404, false),
  BAD_REQUEST: define('PLAYCOUNT_BAD_REQUEST', 'Bad request: %s', 400, false),
  UNAUTHORIZED: define('PLAYCOUNT_UNAUTHORIZED', 'Missing or wrong bearer token', 401, false),
  FORBIDDEN: define('PLAYCOUNT_FORBIDDEN', 'This key may not %s', 403, false),
  RATE_LIMITED: define(
    'PLAYCOUNT_RATE_LIMITED',
    'Too many failed key attempts from this address; retry in %s s',
    429,
    true,
  ),
  KEYS_INVALID: define('PLAYCOUNT_KEYS_INVALID', 'The keys document %s is not valid: %s', 500, false),
  METHOD_NOT_ALLOWED: define('PLAYCOUNT_METHOD_NOT_ALLOWED', 'Method %s not allowed on %s; allowed: %s', 405, false),
  BATCH_LOCKED: define('PLAYCOUNT_BATCH_LOCKED', 'Another batch run holds the lock: %s', 409, true),
  BATCH_ENGINE_FAILED: define(
    'PLAYCOUNT_BATCH_ENGINE_FAILED',
    'The %s batch engine failed: %s (full log: %s)',
    500,
    true,
  ),
  SQL_FORBIDDEN: define('PLAYCOUNT_SQL_FORBIDDEN', 'Query refused: %s', 400, false),
  SQL_INVALID: define('PLAYCOUNT_SQL_INVALID', 'Query failed: %s', 400, false),
  SQL_TIMEOUT: define('PLAYCOUNT_SQL_TIMEOUT', 'Query stopped: %s', 408, false),
  SQL_MEMORY_LIMIT: define('PLAYCOUNT_SQL_MEMORY_LIMIT', 'Query stopped: %s', 507, false),
  SQL_TOO_MANY_ROWS: define('PLAYCOUNT_SQL_TOO_MANY_ROWS', 'Query stopped: %s', 413, false),
  SPEED_NOT_READY: define('PLAYCOUNT_SPEED_NOT_READY', 'Realtime view cannot serve: %s', 503, true),
  CATALOG_MISSING: define(
    'PLAYCOUNT_CATALOG_MISSING',
    'No catalog in the lake at %s: create one with `playcount catalog generate --artists A --songs S --seed N` (same LAKE_URI), or write catalog/artists.parquet and catalog/songs.parquet there',
    500,
    false,
  ),
  LISTENERS_INVALID: define('PLAYCOUNT_LISTENERS_INVALID', 'Listener profiles refused: %s', 400, false),
  DLQ_REFUSED: define('PLAYCOUNT_DLQ_REFUSED', 'The dead-letter topic refused letters: %s', 500, false),
  DRAIN_INCOMPLETE: define('PLAYCOUNT_DRAIN_INCOMPLETE', 'archive --drain did not finish: %s', 503, true),
  INTERNAL: define('PLAYCOUNT_INTERNAL', 'Internal error: %s', 500, false),
} as const

export type ErrorName = keyof typeof Errors

/**
 * Whether `err` is one of the registry's errors; with `name`, whether it is that one (`isPlaycountError(err,
 * 'LAKE_IO')`). It compares codes, the registry's stable contract (docs/ERRORS.md), not classes.
 */
export function isPlaycountError(err: unknown, name?: ErrorName): err is PlaycountError {
  const code: unknown = err instanceof Error ? (err as { code?: unknown }).code : undefined
  if (typeof code !== 'string') return false
  return name === undefined ? code.startsWith('PLAYCOUNT_') : code === Errors[name].code
}

/** Programmer errors are never worth a retry; operational ones are unless the registry says otherwise. */
export function isRetryable(err: unknown): boolean {
  if (
    err instanceof TypeError ||
    err instanceof RangeError ||
    err instanceof SyntaxError ||
    err instanceof ReferenceError
  ) {
    return false
  }
  if (isPlaycountError(err)) return err.retryable
  return true
}

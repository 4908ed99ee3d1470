/**
 * The one retry helper: jittered exponential backoff (p-retry) for Kafka commits, S3 puts and DuckDB loads alike.
 * Programmer errors and non-retryable registry errors fail at once.
 */
import pRetry, { AbortError } from 'p-retry'
import { isRetryable } from './errors.ts'
import type { Logger } from './logger.ts'

export interface RetryOptions {
  retries?: number
  minTimeoutMs?: number
  maxTimeoutMs?: number
  /** Stop retrying after this long in total. */
  maxElapsedMs?: number
  what: string
  log?: Logger
  signal?: AbortSignal
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  return pRetry(
    async (attempt) => {
      try {
        return await fn(attempt)
      } catch (err) {
        if (!isRetryable(err)) throw new AbortError(err as Error)
        throw err
      }
    },
    {
      retries: opts.retries ?? 8,
      minTimeout: opts.minTimeoutMs ?? 100,
      maxTimeout: opts.maxTimeoutMs ?? 10_000,
      randomize: true,
      ...(opts.maxElapsedMs === undefined ? {} : { maxRetryTime: opts.maxElapsedMs }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        opts.log?.warn({ err: error, attempt: attemptNumber, retriesLeft }, `${opts.what} failed, retrying`)
      },
    },
  )
}

/**
 * Which kafkajs log entries reach the log at which level. The entries are made by kafkajs's own logger and its own
 * protocol errors (the code that writes them at run time), so the shapes and texts are the real ones.
 */
import { createRequire } from 'node:module'
import { logLevel, type LogEntry } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { kafkaLogLevel } from '../../shared/kafka.ts'

const require = createRequire(import.meta.url)
type Log = (message: string, extra?: Record<string, unknown>) => void
interface KafkajsLogger {
  namespace(name: string): { error: Log; warn: Log; info: Log }
}
const { createLogger } = require('kafkajs/src/loggers') as {
  createLogger(o: { level: number; logCreator: (l: number) => (e: LogEntry) => void }): KafkajsLogger
}
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error }

/** The entry kafkajs hands to a logCreator when `write` logs through its namespaced logger. */
function entry(namespace: string, write: (log: ReturnType<KafkajsLogger['namespace']>) => void): LogEntry {
  const entries: LogEntry[] = []
  write(createLogger({ level: logLevel.DEBUG, logCreator: () => (e) => entries.push(e) }).namespace(namespace))
  expect(entries).toHaveLength(1)
  return entries[0]!
}

/** What Connection logs when a broker answers a request with a protocol error (kafkajs src/network/connection.js). */
function responseError(api: string, code: number): LogEntry {
  return entry('Connection', (l) =>
    l.error(`Response ${api}`, {
      broker: '127.0.0.1:9092',
      clientId: 'playcount',
      error: createErrorFromCode(code).message,
      correlationId: 3,
      size: 41,
    }),
  )
}

describe('kafkaLogLevel', () => {
  it.each([
    ['group coordinator not available', 'FindCoordinator(key: 10, version: 2)', 15],
    ['coordinator loading', 'JoinGroup(key: 11, version: 5)', 14],
    ['not the coordinator', 'OffsetFetch(key: 9, version: 4)', 16],
    ['leader not available while a topic is created', 'Metadata(key: 3, version: 6)', 5],
  ])('a fresh broker answering %s is a retry kafkajs makes itself: debug, not error', (_what, api, code) => {
    const e = responseError(api, code)
    expect(e.level).toBe(logLevel.ERROR)
    expect(kafkaLogLevel(e)).toBe('debug')
  })

  it('other broker errors stay errors', () => {
    expect(kafkaLogLevel(responseError('Produce(key: 0, version: 7)', 10))).toBe('error') // MESSAGE_TOO_LARGE
    expect(kafkaLogLevel(responseError('Metadata(key: 3, version: 6)', 3))).toBe('error') // UNKNOWN_TOPIC_OR_PARTITION
    expect(
      kafkaLogLevel(
        entry('Consumer', (l) =>
          l.error('Crash: KafkaJSNumberOfRetriesExceeded: connection refused', { groupId: 'g' }),
        ),
      ),
    ).toBe('error')
  })

  it('the bounded-retries warning of the idempotent producer is debug; other warnings stay warnings', () => {
    const eos = entry('Producer', (l) =>
      l.warn('Limiting retries for the idempotent producer may invalidate EoS guarantees'),
    )
    expect(eos.level).toBe(logLevel.WARN)
    expect(kafkaLogLevel(eos)).toBe('debug')
    expect(
      kafkaLogLevel(
        entry('Admin', (l) => l.warn('Could not create topics', { error: 'x', retryCount: 1, retryTime: 300 })),
      ),
    ).toBe('warn')
  })

  it('info and debug entries are debug', () => {
    expect(kafkaLogLevel(entry('Consumer', (l) => l.info('Starting', { groupId: 'g' })))).toBe('debug')
  })
})

import { describe, expect, it } from 'vitest'
import { describeRun, formatSpan } from '../../../tools/simulator/summary.ts'

describe('the simulator start line', () => {
  it('names an event-time span in days, hours, minutes or seconds', () => {
    expect(formatSpan(3650 * 86_400_000)).toBe('3650 days')
    expect(formatSpan(30 * 86_400_000)).toBe('30 days')
    expect(formatSpan(86_400_000 + 6 * 3_600_000)).toBe('1 day 6 hours')
    expect(formatSpan(3_600_000)).toBe('1 hour')
    expect(formatSpan(90_000)).toBe('1 minute 30 seconds')
    expect(formatSpan(500)).toBe('1 second')
    expect(formatSpan(0)).toBe('0 ms')
  })

  it('reads like a sentence, for a span and for an endless run', () => {
    const start = Date.parse('2026-11-30T17:00:00Z')
    expect(
      describeRun({
        listeners: 8000,
        start,
        durationMs: 'until stopped',
        speed: 'realtime',
        rate: 50,
        into: 'http://127.0.0.1:8080/v1/events',
      }),
    ).toBe(
      'simulating 8000 listeners from 2026-11-30 17:00 UTC until stopped, at wall-clock pace (at most 50 events/s), into http://127.0.0.1:8080/v1/events',
    )
    expect(
      describeRun({
        listeners: 100,
        start,
        durationMs: 2 * 86_400_000,
        speed: 'max',
        into: 'kafka topic listen-events',
      }),
    ).toBe(
      'simulating 100 listeners from 2026-11-30 17:00 UTC for 2 days of event time, as fast as the sink takes them, into kafka topic listen-events',
    )
  })
})

import { describe, expect, it } from 'vitest'
import { CATCH_UP_HORIZON_MS, firstFireBetween, missedRun } from '../../../batch-layer/scheduler/catch-up.ts'

const at = (iso: string): number => Date.parse(iso)

describe('missedRun', () => {
  const nightly = '30 0 * * *'

  it('is false while no scheduled time has passed since the last run', () => {
    expect(missedRun(nightly, at('2024-03-01T00:30:04Z'), at('2024-03-01T23:59:00Z'))).toBe(false)
    expect(missedRun(nightly, at('2024-03-01T00:30:04Z'), at('2024-03-02T00:29:59Z'))).toBe(false)
  })

  it('is true once a scheduled time passed without a run, and before the first run ever', () => {
    expect(missedRun(nightly, at('2024-03-01T00:30:04Z'), at('2024-03-02T00:30:00Z'))).toBe(true)
    expect(missedRun(nightly, at('2024-02-25T00:30:04Z'), at('2024-03-02T08:00:00Z'))).toBe(true)
    expect(missedRun(nightly, undefined, at('2024-03-02T08:00:00Z'))).toBe(true)
    expect(
      missedRun('0 0 1 1 *', at('2024-01-01T00:00:01Z') - CATCH_UP_HORIZON_MS * 2, at('2024-01-01T00:00:01Z')),
    ).toBe(true)
  })

  it('reads the schedule in UTC, with or without a seconds field', () => {
    expect(firstFireBetween(nightly, at('2024-03-01T01:00:00Z'), at('2024-03-03T00:00:00Z'))).toBe(
      at('2024-03-02T00:30:00Z'),
    )
    expect(firstFireBetween('15 */10 * * * *', at('2024-03-01T00:00:20Z'), at('2024-03-01T01:00:00Z'))).toBe(
      at('2024-03-01T00:10:15Z'),
    )
    expect(firstFireBetween('0 3 * * 1', at('2024-03-01T00:00:00Z'), at('2024-03-03T23:59:00Z'))).toBeUndefined()
  })
})

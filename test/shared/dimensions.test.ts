import { describe, expect, it } from 'vitest'
import {
  DIMENSIONS,
  DIMENSION_NAMES,
  SLOT_BASE,
  SLOT_SPACE,
  ageBand,
  dimensionValue,
  slotOf,
  slotValue,
} from '../../shared/dimensions.ts'
import type { ListenEvent } from '../../shared/event.ts'
import type { ListenerProfile } from '../../shared/catalog/listeners.ts'

const e: ListenEvent = { eventId: 'e', ts: Date.parse('2024-03-01T07:30:00Z'), userId: 'u', songId: 's', type: 'play' }
const p: ListenerProfile = {
  userId: 'u',
  country: 'DE',
  birthYear: 2000,
  gender: 'non-binary',
  tier: 'premium',
  signupDate: null,
}

describe('dimensions', () => {
  it('names the six dimensions of the contract and the age × gender cross', () => {
    expect(DIMENSION_NAMES).toEqual(['country', 'device', 'hour', 'age', 'gender', 'tier', 'age_gender'])
  })

  it('joins age band and gender in age_gender, unknown only when both parts are', () => {
    const cross = DIMENSIONS.find((d) => d.name === 'age_gender')!
    expect(dimensionValue(cross, e, p)).toBe('18-24|non-binary')
    expect(dimensionValue(cross, e, { ...p, birthYear: null })).toBe('unknown|non-binary')
    expect(dimensionValue(cross, e, undefined)).toBe('unknown')
    // 7 bands and unknown × 4 genders and unknown, less unknown|unknown (the cross's own unknown).
    expect(cross.values).toHaveLength(8 * 5 - 1)
    expect(cross.values[0]).toBe('13-17|female')
    expect(cross.values.at(-1)).toBe('unknown|unspecified')
  })

  it("takes the event's country before the profile's, and unknown without either", () => {
    const country = DIMENSIONS[0]
    expect(dimensionValue(country, { ...e, country: 'SE' }, p)).toBe('SE')
    expect(dimensionValue(country, e, p)).toBe('DE')
    expect(dimensionValue(country, e, undefined)).toBe('unknown')
  })

  it('reads device and UTC hour from the event, age, gender and tier from the profile', () => {
    const v = (name: string, ev: ListenEvent, prof?: ListenerProfile): string =>
      dimensionValue(
        DIMENSIONS.find((d) => d.name === name)!,
        ev,
        prof,
      )
    expect(v('device', e, p)).toBe('unknown')
    expect(v('device', { ...e, device: 'tv' }, p)).toBe('tv')
    expect(v('hour', e)).toBe('07')
    expect(v('age', e, p)).toBe('18-24') // 2024 - 2000 = 24
    expect(v('age', { ...e, ts: Date.parse('2025-01-01T00:00:00Z') }, p)).toBe('25-34')
    expect(v('age', e, { ...p, birthYear: 2015 })).toBe('unknown') // under 13
    expect(v('age', e, { ...p, birthYear: null })).toBe('unknown')
    expect(v('gender', e, p)).toBe('non-binary')
    expect(v('tier', e, p)).toBe('premium')
    expect(v('tier', e)).toBe('unknown')
    expect(ageBand(1950, 2024)).toBe('65+')
  })

  it('numbers every value of every dimension, unknown included, with one slot each', () => {
    const seen = new Set<string>()
    for (let slot = 0; slot < SLOT_SPACE; slot++) {
      const { dimension, value } = slotValue(slot)
      expect(slotOf(dimension, value)).toBe(slot)
      seen.add(`${dimension}:${value}`)
    }
    expect(seen.size).toBe(SLOT_SPACE)
    expect(SLOT_BASE).toHaveLength(DIMENSIONS.length)
    expect(slotOf(0, 'ZZ')).toBe(675)
    expect(slotOf(1, 'no-such-device')).toBe(SLOT_BASE[1]! + DIMENSIONS[1].values.length)
  })
})

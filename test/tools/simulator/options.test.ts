import { describe, expect, it } from 'vitest'
import { parseDuration, parseFraction, parseStart } from '../../../tools/simulator/options.ts'

describe('simulator options', () => {
  it.each([
    ['90s', 90_000],
    ['2h', 7_200_000],
    ['3d', 259_200_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['45', 45_000],
    ['1w', 604_800_000],
  ])('parses the duration %s', (text, ms) => expect(parseDuration(text)).toBe(ms))

  it.each(['', 'soon', '2x', '1h 30m', '-5s'])('refuses the duration "%s"', (text) => {
    expect(() => parseDuration(text)).toThrow(/must look like 90s/)
  })

  it('parses start instants', () => {
    expect(parseStart('now', 123)).toBe(123)
    expect(parseStart('2024-06-01T02:00:00+02:00', 0)).toBe(Date.parse('2024-06-01T00:00:00Z'))
    expect(() => parseStart('2024-06-01T00:00:00', 0)).toThrow(/ISO-8601 with a zone/)
    expect(() => parseStart('yesterday', 0)).toThrow(/PLAYCOUNT|ISO/)
  })

  it('parses fractions', () => {
    expect(parseFraction('late', '0.05')).toBe(0.05)
    expect(() => parseFraction('late', '1.5')).toThrow(/--late must be a fraction/)
  })
})

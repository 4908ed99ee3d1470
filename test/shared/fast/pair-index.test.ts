import { describe, expect, it } from 'vitest'
import { PairIndex } from '../../../shared/fast/pair-index.ts'

describe('PairIndex', () => {
  it(
    'numbers each distinct pair by first insertion and finds it again, across table growth',
    { timeout: 60_000 },
    () => {
      const index = new PairIndex()
      const expected = new Map<string, number>()
      let seed = 11
      for (let n = 0; n < 20_000; n++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
        const a = seed % 400
        const b = (seed >>> 9) % 300
        const key = `${a}:${b}`
        if (!expected.has(key)) expected.set(key, expected.size)
        expect(index.findOrAdd(a, b)).toBe(expected.get(key))
      }
      expect(index.size).toBe(expected.size)
      for (const [key, row] of expected) {
        const [a, b] = key.split(':').map(Number) as [number, number]
        expect(index.find(a, b)).toBe(row)
        expect([index.keyA[row], index.keyB[row]]).toEqual([a, b])
      }
      expect(index.find(401, 0)).toBe(-1)
    },
  )
})

import { describe, expect, it } from 'vitest'
import { KeyChains } from '../../../shared/fast/key-chains.ts'

describe('KeyChains', () => {
  it('lists exactly the rows added with each key, newest first, across growth', () => {
    const chains = new KeyChains()
    const expected = new Map<number, number[]>()
    let seed = 3
    for (let row = 0; row < 20_000; row++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      // Skewed keys: a few with long chains, many with one row.
      const key = seed % 7 === 0 ? seed % 5 : (seed >>> 8) % 4000
      chains.add(key, row)
      expected.set(key, [row, ...(expected.get(key) ?? [])])
    }
    for (const [key, rows] of expected) {
      const walked: number[] = []
      for (let row = chains.first(key); row >= 0; row = chains.after(row)) walked.push(row)
      expect(walked, `key ${key}`).toEqual(rows)
    }
    expect(chains.first(4001)).toBe(-1)
  })
})

import { describe, expect, it } from 'vitest'
import { Dedup } from '../../../shared/fast/dedup-table.ts'

describe('Dedup', () => {
  it('recognises a repeated id within the window and forgets the oldest beyond it', () => {
    const d = new Dedup(3)
    expect(d.add('a')).toBe(true)
    expect(d.add('a')).toBe(false)
    expect(d.add('b')).toBe(true)
    expect(d.add('c')).toBe(true)
    expect(d.add('a')).toBe(false)
    expect(d.add('d')).toBe(true) // evicts a
    expect(d.size).toBe(3)
    expect(d.add('b')).toBe(false)
    expect(d.add('a')).toBe(true) // a fell out of the window: counted again (the documented bound)
    expect(d.size).toBe(3)
  })

  it(
    'agrees with a Set and a queue over a long random stream (eviction, wrap-around, ring and table growth)',
    { timeout: 60_000 },
    () => {
      for (const capacity of [5, 700, 1500, 10_000]) {
        const d = new Dedup(capacity)
        const seen = new Set<string>()
        const order: string[] = []
        let seed = capacity
        for (let n = 0; n < 60_000; n++) {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
          const id = `id-${seed % (capacity * 3)}`
          const isNew = !seen.has(id)
          if (isNew) {
            seen.add(id)
            order.push(id)
            if (order.length > capacity) seen.delete(order.shift()!)
          }
          expect(d.add(id)).toBe(isNew)
        }
        expect(d.size).toBe(seen.size)
      }
    },
  )
})

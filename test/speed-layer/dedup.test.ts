import { describe, expect, it } from 'vitest'
import { Dedup } from '../../speed-layer/dedup.ts'

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
})

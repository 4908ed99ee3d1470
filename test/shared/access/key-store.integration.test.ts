/**
 * Operators changing keys at the same instant both get their change in (shared/access/key-ring.ts `updateKeys`), in
 * each place the keys can live: the local lake, a KEYS_FILE (a lock around read-change-write), and an S3 lake on the
 * real MinIO (a conditional write, read again after a lost race).
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { openKeyStore, readKeys, updateKeys, type KeyStore } from '../../../shared/access/key-ring.ts'
import { mintKey } from '../../../shared/access/keys.ts'
import type { Config } from '../../../shared/config.ts'
import { openLake } from '../../../shared/lake.ts'
import { testConfig, testS3Config } from '../../helpers.ts'

const WRITERS = 12

function storeOf(config: Readonly<Config>): KeyStore {
  const lake = openLake(config)
  onTestFinished(() => lake.close())
  return openKeyStore(config, lake)
}

async function stores(): Promise<[string, Readonly<Config>][]> {
  const local = testConfig()
  return [
    ['the local lake', local],
    ['a KEYS_FILE', testConfig({ KEYS_FILE: path.join(local.home, 'secrets', 'keys.json') })],
    ['an S3 lake', await testS3Config()],
  ]
}

describe('key store updates', () => {
  it('keeps every one of many concurrent changes, wherever the keys live', async () => {
    for (const [where, config] of await stores()) {
      const seed = mintKey({ name: 'seed', role: 'admin', artists: [] })
      await updateKeys(storeOf(config), () => [seed.entry])
      // Each writer has its own store (its own client, as a second `playcount keys` process would).
      const minted = Array.from({ length: WRITERS }, (_, i) => mintKey({ name: `w${i}`, role: 'admin', artists: [] }))
      await Promise.all(minted.map((m) => updateKeys(storeOf(config), (list) => [...list, m.entry])))
      const ids = (await readKeys(storeOf(config))).keys.map((k) => k.id).sort()
      expect(ids, where).toEqual([seed.entry.id, ...minted.map((m) => m.entry.id)].sort())
    }
  }, 60_000)

  it('leaves the document as it was and the store free when a change is refused', async () => {
    for (const [where, config] of await stores()) {
      const store = storeOf(config)
      const first = mintKey({ name: 'first', role: 'admin', artists: [] })
      await updateKeys(store, () => [first.entry])
      const before = await store.read()
      await expect(
        updateKeys(store, () => {
          throw new Error('no such key')
        }),
        where,
      ).rejects.toThrow('no such key')
      expect((await store.read())!.equals(before!), where).toBe(true)
      // Not left locked: the next change goes through at once.
      const second = mintKey({ name: 'second', role: 'admin', artists: [] })
      await updateKeys(store, (list) => [...list, second.entry])
      expect(
        (await readKeys(store)).keys.map((k) => k.name),
        where,
      ).toEqual(['first', 'second'])
    }
  }, 60_000)

  it('writes a KEYS_FILE for its owner only, and leaves no lock or temporary file beside it', async () => {
    const home = testConfig().home
    const file = path.join(home, 'keys.json')
    const config = testConfig({ KEYS_FILE: file })
    await updateKeys(storeOf(config), () => [mintKey({ name: 'k', role: 'admin', artists: [] }).entry])
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.readdirSync(home).filter((f) => f.startsWith('keys.json'))).toEqual(['keys.json'])
  })
})

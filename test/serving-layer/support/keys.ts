/** Writes API keys into a config's keys store as `playcount keys create` does, and calls a server with one. */
import { openKeyStore, updateKeys } from '../../../shared/access/key-ring.ts'
import { mintKey, type NewKey } from '../../../shared/access/keys.ts'
import type { Config } from '../../../shared/config.ts'
import { openLake } from '../../../shared/lake.ts'

/** The printed keys by name. */
export async function addKeys<N extends string>(
  config: Readonly<Config>,
  specs: Array<NewKey & { name: N }>,
): Promise<Record<N, string>> {
  const lake = openLake(config)
  try {
    const minted = specs.map((s) => mintKey(s))
    await updateKeys(openKeyStore(config, lake), (list) => [...list, ...minted.map((m) => m.entry)])
    return Object.fromEntries(minted.map((m, i) => [specs[i]!.name, m.key])) as Record<N, string>
  } finally {
    lake.close()
  }
}

export const call = (url: string, key: string | undefined, init: RequestInit = {}): Promise<Response> =>
  fetch(url, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string> | undefined),
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
    },
  })

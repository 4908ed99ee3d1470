/**
 * `playcount keys create|list|revoke`: the API keys in the keys document (keys/keys.json in the lake, or KEYS_FILE),
 * which every serving process reloads within KEYS_RELOAD_MS (docs/ARCHITECTURE.md, Access).
 */
import type { Command } from 'commander'
import Table from 'cli-table3'
import { openKeyStore, readKeys, updateKeys } from '../../shared/access/key-ring.ts'
import { isLive, KEY_ROLES, mintKey, parseExpiry, type KeyRole } from '../../shared/access/keys.ts'
import { loadCatalog } from '../../shared/catalog/store.ts'
import { loadConfig } from '../../shared/config.ts'
import { Errors } from '../../shared/errors.ts'
import { openLake } from '../../shared/lake.ts'

interface CreateOptions {
  name: string
  artist: string[]
  allArtists?: boolean
  label?: string
  role: string
  expires?: string
}

const collect = (value: string, previous: string[]): string[] => [...previous, value]

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('API keys: admin, reader (scoped to artists) and ingest keys for the report API and the collector')
  keys
    .command('create')
    .description('create a key and print it once (only its SHA-256 digest is stored)')
    .requiredOption('--name <name>', 'who holds the key: shown in `keys list`, the audit log and the metrics')
    .option('--artist <id>', 'an artist the key may read (repeat for a roster)', collect, [])
    .option('--all-artists', 'a reader of every artist (a dashboard on a screen)')
    .option('--label <name>', 'the label whose roster the --artist list is (kept with the key, shown by /v1/me)')
    .option('--role <role>', `one of ${KEY_ROLES.join(', ')}`, 'reader')
    .option('--expires <when>', 'an ISO-8601 date or time, or a duration such as 30d, 12h')
    .action(async (o: CreateOptions) => {
      if (!(KEY_ROLES as readonly string[]).includes(o.role))
        throw new Errors.BAD_REQUEST(`--role must be one of ${KEY_ROLES.join(', ')}, got ${o.role}`)
      const config = loadConfig()
      const lake = openLake(config)
      try {
        if (o.artist.length > 0) {
          // A typo would make a key that sees nothing: refuse ids the catalog does not know.
          const catalog = await loadCatalog(config, lake)
          const unknown = o.artist.filter((a) => !catalog.artists.has(a))
          if (unknown.length > 0)
            throw new Errors.BAD_REQUEST(`--artist ${unknown.join(', ')}: no such artist in the catalog`)
        }
        const { entry, key } = mintKey({
          name: o.name,
          role: o.role as KeyRole,
          artists: o.artist,
          ...(o.allArtists === true ? { allArtists: true } : {}),
          ...(o.label === undefined ? {} : { label: o.label }),
          ...(o.expires === undefined ? {} : { expiresAt: parseExpiry(o.expires) }),
        })
        const store = openKeyStore(config, lake)
        await updateKeys(store, (list) => (list.some((k) => k.id === entry.id) ? list : [...list, entry]))
        console.error(
          `created key ${entry.id} "${entry.name}" (${entry.role}) in ${store.where}; it is shown once, store it now:`,
        )
        console.log(key)
      } finally {
        lake.close()
      }
    })
  keys
    .command('list')
    .description('the keys, never their secrets')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => {
      const config = loadConfig()
      const lake = openLake(config)
      try {
        const file = await readKeys(openKeyStore(config, lake))
        const rows = file.keys.map(({ hash: _hash, ...k }) => ({
          ...k,
          state: k.revokedAt ? 'revoked' : isLive({ ...k, hash: '' }, Date.now()) ? 'live' : 'expired',
        }))
        if (o.json === true) return console.log(JSON.stringify(rows, null, 2))
        const table = new Table({ head: ['id', 'name', 'role', 'scope', 'label', 'expires', 'state'] })
        for (const r of rows) {
          table.push([
            r.id,
            r.name,
            r.role,
            r.role !== 'reader' || r.allArtists ? 'all' : r.artists.join(' '),
            r.label ?? '',
            r.expiresAt ?? '',
            r.state,
          ])
        }
        console.log(file.keys.length === 0 ? 'no keys' : table.toString())
      } finally {
        lake.close()
      }
    })
  keys
    .command('revoke')
    .description('revoke a key by id (or by name when exactly one live key has it)')
    .argument('<id-or-name>')
    .action(async (which: string) => {
      const config = loadConfig()
      const lake = openLake(config)
      try {
        const store = openKeyStore(config, lake)
        let revoked = ''
        await updateKeys(store, (list) => {
          // Run again on a document that already holds this revocation (Lake.update): nothing more to do.
          if (list.some((k) => k.id === revoked && k.revokedAt !== undefined)) return list
          const matches = list.filter((k) => k.id === which || (k.name === which && k.revokedAt === undefined))
          if (matches.length !== 1)
            throw new Errors.BAD_REQUEST(
              `${which}: ${matches.length === 0 ? 'no such key' : `${matches.length} live keys have this name; give the id`}`,
            )
          revoked = matches[0]!.id
          return list.map((k) =>
            k.id === revoked && k.revokedAt === undefined ? { ...k, revokedAt: new Date().toISOString() } : k,
          )
        })
        console.log(
          `revoked key ${revoked}; serving processes refuse it within ${config.access.reloadMs} ms (KEYS_RELOAD_MS)`,
        )
      } finally {
        lake.close()
      }
    })
}

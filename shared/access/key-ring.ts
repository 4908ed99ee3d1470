/**
 * Where the keys live and how a serving process sees them. The store is one JSON document: `keys/keys.json` in the
 * lake (a local folder or S3, so every replica reads the same one), or the file KEYS_FILE names. Each process holds
 * a KeyRing: the keys by id, reloaded every KEYS_RELOAD_MS, so a key created or revoked with `playcount keys`
 * takes effect in every replica within that interval, without a restart. Expiry needs no reload: it is checked on
 * each request.
 */
import crypto from 'node:crypto'
import type { Config } from '../config.ts'
import { readIfExists, updateFile } from '../file-update.ts'
import type { Lake } from '../lake.ts'
import type { Logger } from '../logger.ts'
import { isLive, parseKeyFile, principalOf, verifyKey, type KeyEntry, type KeyFile, type Principal } from './keys.ts'

export const KEYS_LAKE_KEY = 'keys/keys.json'

export interface KeyStore {
  /** For messages: the lake object or the file. */
  readonly where: string
  read(): Promise<Buffer | undefined>
  /** Read, change, write, losing no concurrent writer's change (`Lake.update`); `change` may run more than once. */
  update(change: (current: Buffer | undefined) => string): Promise<void>
}

export function openKeyStore(config: Readonly<Config>, lake: Lake): KeyStore {
  const file = config.access.keysFile
  if (file === undefined) {
    return {
      where: lake.location(KEYS_LAKE_KEY),
      read: () => lake.get(KEYS_LAKE_KEY),
      update: (change) => lake.update(KEYS_LAKE_KEY, change),
    }
  }
  return {
    where: file,
    read: () => readIfExists(file),
    // Readers poll the file: a rename makes the new document appear whole. Owner-only: it holds the digests.
    update: (change) => updateFile(file, change, { mode: 0o600 }),
  }
}

export async function readKeys(store: KeyStore): Promise<KeyFile> {
  return parseKeyFile(await store.read(), store.where)
}

/**
 * Read, change, write. Two operators changing keys at the same instant both get their change in: the store writes
 * only over the document it read (a lock for a file, a conditional write on S3), else `change` runs again on the
 * newer one, which may already hold this change: it must be idempotent (`Lake.update`).
 */
export async function updateKeys(store: KeyStore, change: (keys: KeyEntry[]) => KeyEntry[]): Promise<KeyFile> {
  let next: KeyFile | undefined
  await store.update((current) => {
    next = { version: 1, keys: change(parseKeyFile(current, store.where).keys) }
    return `${JSON.stringify(next, null, 2)}\n`
  })
  return next!
}

export class KeyRing {
  private byId: ReadonlyMap<string, KeyEntry> = new Map()
  private principals = new Map<string, Principal>()
  private digest: string | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly store: KeyStore,
    private readonly opts: { reloadMs: number; log: Logger; now?: () => number },
  ) {}

  /** True once the store holds any key (live or not): from then on every secured route wants one. */
  get enabled(): boolean {
    return this.byId.size > 0
  }

  /** Reads the store; true when its content changed. A document that does not parse throws PLAYCOUNT_KEYS_INVALID. */
  async load(): Promise<boolean> {
    const bytes = await this.store.read()
    const digest = bytes === undefined ? '' : crypto.createHash('sha256').update(bytes).digest('hex')
    if (digest === this.digest) return false
    const file = parseKeyFile(bytes, this.store.where)
    this.byId = new Map(file.keys.map((k) => [k.id, k]))
    this.principals = new Map(file.keys.map((k) => [k.id, principalOf(k)]))
    this.digest = digest
    this.opts.log.info({ keys: file.keys.length, store: this.store.where }, 'keys loaded')
    return true
  }

  /** Polls the store. A failed read keeps the keys last loaded (revocations already seen stay in force). */
  start(): void {
    if (this.timer) return
    this.timer = setInterval(() => {
      this.load().catch((err: unknown) =>
        this.opts.log.warn({ err, store: this.store.where }, 'reloading the keys failed; keeping the last ones'),
      )
    }, this.opts.reloadMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** The principal of a presented key, or undefined when it is unknown, wrong, revoked or expired. */
  resolve(presented: string): Principal | undefined {
    const entry = verifyKey(this.byId, presented)
    return entry !== undefined && isLive(entry, (this.opts.now ?? Date.now)())
      ? this.principals.get(entry.id)
      : undefined
  }
}

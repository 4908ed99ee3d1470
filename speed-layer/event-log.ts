/**
 * The breakdown record of every counted event of one arrival bucket: the interned listener, the event's own
 * dimension codes packed in one int (country a*26+b or 676, device index or 7, UTC hour), type and msPlayed,
 * chained per (day, song) and per (day, artist) cell row of the bucket's counters. Appending is a few typed-array
 * writes per event (no per-dimension hash lookups); a breakdown query walks the chain of one cell and derives every
 * dimension's value from the one definition (breakdown.ts), the profile ones by the interned listener index.
 * Memory: 21 bytes per counted event held (README.md, "Breakdown records").
 */
import { ensureInt } from '../shared/fast/pair-index.ts'

const NO_COUNTRY = 676
const NO_DEVICE = 7

export function packEventDims(country: number, device: number, hour: number): number {
  return (country < 0 ? NO_COUNTRY : country) | ((device < 0 ? NO_DEVICE : device) << 10) | (hour << 13)
}

/** The scan's codes back from a packed int: -1 for none. */
export function countryOfPacked(p: number): number {
  const c = p & 0x3ff
  return c === NO_COUNTRY ? -1 : c
}
export function deviceOfPacked(p: number): number {
  const d = (p >>> 10) & 7
  return d === NO_DEVICE ? -1 : d
}
export function hourOfPacked(p: number): number {
  return (p >>> 13) & 31
}

function ensureBytes(col: Uint8Array<ArrayBuffer>, rows: number): Uint8Array<ArrayBuffer> {
  if (col.length >= rows) return col
  const next = new Uint8Array(Math.max(rows, col.length * 2))
  next.set(col)
  return next
}

function ensureU32(col: Uint32Array<ArrayBuffer>, rows: number): Uint32Array<ArrayBuffer> {
  if (col.length >= rows) return col
  const next = new Uint32Array(Math.max(rows, col.length * 2))
  next.set(col)
  return next
}

export class EventLog {
  size = 0
  user = new Int32Array(64)
  dims = new Int32Array(64)
  type = new Uint8Array(64)
  ms = new Uint32Array(64)
  /** Record + 1 of the next record of the same song / artist cell (0 = end). */
  private nextSong = new Int32Array(64)
  private nextArtist = new Int32Array(64)
  /** Per cell row: the first record + 1 (0 = none). */
  private headSong = new Int32Array(64)
  private headArtist = new Int32Array(64)

  append(songRow: number, artistRow: number, user: number, dims: number, type: number, ms: number): void {
    const r = this.size++
    if (r >= this.user.length) {
      const n = r + 1
      this.user = ensureInt(this.user, n)
      this.dims = ensureInt(this.dims, n)
      this.type = ensureBytes(this.type, n)
      this.ms = ensureU32(this.ms, n)
      this.nextSong = ensureInt(this.nextSong, n)
      this.nextArtist = ensureInt(this.nextArtist, n)
    }
    if (songRow >= this.headSong.length) this.headSong = ensureInt(this.headSong, songRow + 1)
    if (artistRow >= this.headArtist.length) this.headArtist = ensureInt(this.headArtist, artistRow + 1)
    this.user[r] = user
    this.dims[r] = dims
    this.type[r] = type
    this.ms[r] = ms
    this.nextSong[r] = this.headSong[songRow]!
    this.headSong[songRow] = r + 1
    this.nextArtist[r] = this.headArtist[artistRow]!
    this.headArtist[artistRow] = r + 1
  }

  /** Calls `fn` with each record of the song (or artist) cell `row`. */
  forEachOf(kind: 'song' | 'artist', row: number, fn: (record: number) => void): void {
    const head = kind === 'song' ? this.headSong : this.headArtist
    const next = kind === 'song' ? this.nextSong : this.nextArtist
    for (let r = row < head.length ? head[row]! : 0; r !== 0; r = next[r - 1]!) fn(r - 1)
  }

  /** Renumbers listener ids by `newIdOf` (the engine's compaction). */
  remapUsers(newIdOf: (old: number) => number): void {
    for (let r = 0; r < this.size; r++) if (this.user[r]! >= 0) this.user[r] = newIdOf(this.user[r]!)
  }

  get bytes(): number {
    return (
      this.user.byteLength +
      this.dims.byteLength +
      this.type.byteLength +
      this.ms.byteLength +
      this.nextSong.byteLength +
      this.nextArtist.byteLength +
      this.headSong.byteLength +
      this.headArtist.byteLength
    )
  }
}

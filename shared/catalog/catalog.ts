/**
 * The catalog: artists and songs, stored as Parquet in the lake's catalog/ and loaded by every layer as a lookup
 * (songId to artistId and names) and a name search, with the listener profiles (listeners.ts).
 */
export interface Artist {
  artistId: string
  name: string
  genre: string
  country: string
}
export interface Song {
  songId: string
  artistId: string
  title: string
  genre: string
  durationMs: number
  popularityRank: number
}

import type { ListenerProfile } from './listeners.ts'

export interface SearchHit {
  kind: 'artist' | 'song'
  id: string
  name: string
  artistName?: string
}

export class Catalog {
  readonly artists: ReadonlyMap<string, Artist>
  readonly songs: ReadonlyMap<string, Song>
  /** Listener profiles (catalog/listeners), in the order of the lake's file. */
  readonly listeners: readonly ListenerProfile[]
  private readonly songsByArtist = new Map<string, Song[]>()
  /** Index over `listeners` (the same objects, so one entry per profile and no copy of its fields). */
  private readonly listenersById: ReadonlyMap<string, ListenerProfile>

  constructor(artists: Artist[], songs: Song[], listeners: readonly ListenerProfile[] = []) {
    this.listeners = listeners
    this.listenersById = new Map(listeners.map((p) => [p.userId, p]))
    this.artists = new Map(artists.map((a) => [a.artistId, a]))
    this.songs = new Map(songs.map((s) => [s.songId, s]))
    for (const s of songs) {
      const list = this.songsByArtist.get(s.artistId) ?? []
      list.push(s)
      this.songsByArtist.set(s.artistId, list)
    }
  }

  hasSong = (songId: string): boolean => this.songs.has(songId)

  /** The listener's profile, or undefined for a listener the lake has none for (their events still count). */
  profileOf(userId: string): ListenerProfile | undefined {
    return this.listenersById.get(userId)
  }

  artistOf(songId: string): string | undefined {
    return this.songs.get(songId)?.artistId
  }

  songsOf(artistId: string): readonly Song[] {
    return this.songsByArtist.get(artistId) ?? []
  }

  /**
   * Case-insensitive substring search over artist names and song titles; prefix matches first. With `visible`, only
   * the artists it accepts and their songs (a scoped API key's roster), filtered before the cut.
   */
  search(q: string, limit = 20, visible?: (artistId: string) => boolean): SearchHit[] {
    const needle = q.trim().toLowerCase()
    if (!needle) return []
    const hits: Array<SearchHit & { score: number }> = []
    for (const a of this.artists.values()) {
      if (visible !== undefined && !visible(a.artistId)) continue
      const i = a.name.toLowerCase().indexOf(needle)
      if (i >= 0) hits.push({ kind: 'artist', id: a.artistId, name: a.name, score: i === 0 ? 0 : 1 })
    }
    for (const s of this.songs.values()) {
      if (visible !== undefined && !visible(s.artistId)) continue
      const i = s.title.toLowerCase().indexOf(needle)
      if (i >= 0)
        hits.push({
          kind: 'song',
          id: s.songId,
          name: s.title,
          artistName: this.artists.get(s.artistId)?.name ?? '',
          score: (i === 0 ? 0 : 1) + s.popularityRank / 1e9,
        })
    }
    hits.sort((x, y) => x.score - y.score || x.name.localeCompare(y.name))
    return hits.slice(0, limit).map(({ score: _score, ...h }) => h)
  }
}

/**
 * Interest-rule detection for one partition, on the engine thread, fed after dedup (a duplicate never reaches it).
 * Windows are event-time tumbling windows aligned to the epoch (start = ts - ts mod window): for each rule and
 * (listener, song|artist, window start) the events of the rule's type are counted, and the window fires once, when
 * its count reaches the threshold. The set of windows that fire is a function of the events alone, whatever their
 * order of arrival, so a replay, a rebuild or a late event fires the same windows with the same ids
 * (shared/signals.ts). See speed-layer/README.md#signals for the invariants and the memory bound.
 */
import type { Signal } from '../../shared/signals.ts'
import { signalId } from '../../shared/signals.ts'
import { EVENT_TYPES } from '../../shared/event.ts'
import type { Rule } from './rules.ts'

/** One open (listener, key, window start): about 200 bytes with its Map entry and key string (README). */
interface Window {
  start: number
  count: number
  first: number
  last: number
  fired: boolean
}

export interface DetectorStats {
  /** Open windows held. */
  windows: number
  /** Events older than their rule's lateness allows (not counted). */
  tooLate: number
  /** Windows dropped before they expired because the cap was reached (may miss a signal). */
  evicted: number
}

export interface SignalNames {
  song(song: number): string
  artist(artist: number): string
}

class RuleState {
  readonly windows = new Map<string, Window>()
  readonly typeIndex: number
  constructor(readonly rule: Rule) {
    this.typeIndex = (EVENT_TYPES as readonly string[]).indexOf(rule.type)
  }
}

export class SignalDetector {
  private readonly states: RuleState[]
  /** The newest event time seen in the partition (any type): a window older than this minus lateness is closed. */
  private maxTs = 0
  tooLate = 0
  evicted = 0

  constructor(
    rules: readonly Rule[],
    private readonly partition: number,
    private readonly cap: number,
    private readonly names: SignalNames,
  ) {
    this.states = rules.map((r) => new RuleState(r))
  }

  /** True when some rule counts events of this type index (the engine skips everything else cheaply). */
  wants(type: number): boolean {
    for (const s of this.states) if (s.typeIndex === type) return true
    return false
  }

  /**
   * One valid, first-seen event at `offset`: its event time, type index, listener, interned song and artist.
   * Pushes onto `out` the signals of the windows it brings to their threshold.
   */
  observe(
    offset: number,
    ts: number,
    type: number,
    listener: string,
    song: number,
    artist: number,
    out: Signal[],
  ): void {
    const horizon = this.maxTs
    if (ts > this.maxTs) this.maxTs = ts
    for (const st of this.states) {
      if (st.typeIndex !== type) continue
      const r = st.rule
      const start = ts - (((ts % r.windowMs) + r.windowMs) % r.windowMs)
      if (start + r.windowMs + r.latenessMs <= horizon) {
        this.tooLate++
        continue
      }
      const keyNum = r.per === 'song' ? song : artist
      const k = `${listener}\u0000${keyNum}\u0000${start}`
      let w = st.windows.get(k)
      if (w === undefined) {
        w = { start, count: 0, first: ts, last: ts, fired: false }
        st.windows.set(k, w)
        if (st.windows.size > this.cap) this.shrink(st)
      }
      if (w.fired) continue
      w.count++
      if (ts < w.first) w.first = ts
      if (ts > w.last) w.last = ts
      if (w.count < r.threshold) continue
      w.fired = true
      const songId = this.names.song(song)
      const artistId = this.names.artist(artist)
      const key = r.per === 'song' ? songId : artistId
      out.push({
        id: signalId(r.name, listener, key, start),
        rule: r.name,
        listener,
        songId,
        artistId,
        key,
        count: w.count,
        firstTs: w.first,
        lastTs: w.last,
        windowStart: start,
        windowEnd: start + r.windowMs,
        partition: this.partition,
        offset,
      })
    }
  }

  /** Forgets windows no event can reach any more (older than the newest event time minus window and lateness). */
  prune(): void {
    for (const st of this.states) this.expire(st)
  }

  stats(): DetectorStats {
    let windows = 0
    for (const st of this.states) windows += st.windows.size
    return { windows, tooLate: this.tooLate, evicted: this.evicted }
  }

  private expire(st: RuleState): void {
    const closedBefore = this.maxTs - st.rule.windowMs - st.rule.latenessMs
    for (const [k, w] of st.windows) if (w.start <= closedBefore) st.windows.delete(k)
  }

  /** Over the cap: closed windows go first, then the oldest opened (a Map iterates in insertion order). */
  private shrink(st: RuleState): void {
    this.expire(st)
    const target = Math.floor(this.cap * 0.9)
    if (st.windows.size <= this.cap) return
    for (const k of st.windows.keys()) {
      if (st.windows.size <= target) break
      st.windows.delete(k)
      this.evicted++
    }
  }
}

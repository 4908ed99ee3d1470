// The overview, the first screen (the URL names no song, artist or chart): today's totals over every song with their
// batch and realtime parts, the live event rate (app.js fills it from /v1/status), the last seven days' plays as
// batch and realtime bars, today's top 10 songs and artists with their moves since yesterday, and one line saying
// where the numbers come from (the watermark). All of it from GET /v1/charts/daily, whose totals are merged by the
// same rule as every report.
/* global api, $, fmt, isoDay, state, drawParts */
import { chartRow } from './charts.js'

const DAYS = 7
let weekPlot = null

// The days before today change only with a batch run (a new watermark) or with late events, which are rare: their
// totals are asked for again when the watermark or today changes, else once a minute, not on every refresh.
const PAST_DAYS_MAX_AGE_MS = 60_000
let pastDays = { key: '', at: 0, days: [] }

async function loadPastDays(today, watermark) {
  const key = `${today}/${watermark}`
  if (pastDays.key === key && Date.now() - pastDays.at < PAST_DAYS_MAX_AGE_MS) return pastDays.days
  const start = Date.parse(`${today}T00:00:00Z`)
  // Their totals only (limit=1), from the same route and merge.
  const days = await Promise.all(
    Array.from({ length: DAYS - 1 }, (_, i) =>
      api(`/v1/charts/daily?kind=song&limit=1&date=${isoDay(new Date(start - (DAYS - 1 - i) * 86400000))}`),
    ),
  )
  pastDays = { key, at: Date.now(), days }
  return days
}

function utc(ms) {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

function figure(value, label, note) {
  const div = document.createElement('div')
  div.className = 'figure'
  const b = document.createElement('b')
  b.textContent = value
  div.append(b, label)
  if (note) {
    const small = document.createElement('small')
    small.textContent = note
    div.append(small)
  }
  return div
}

function renderTotals(songs, artists) {
  const t = songs.totals
  const { batch, realtime } = t.parts
  $('overview-totals').replaceChildren(
    figure(fmt(t.plays), 'plays', `${fmt(batch.plays)} batch + ${fmt(realtime.plays)} live`),
    figure(fmt(Math.round(t.msPlayed / 3_600_000)), 'hours listened'),
    figure(fmt(t.skips), 'skips'),
    figure(fmt(t.likes), 'likes'),
    figure(fmt(t.entries), 'songs played'),
    figure(fmt(artists.totals.entries), 'artists played'),
  )
}

function watermarkLine(w) {
  return w > 0
    ? `Events that arrived before ${utc(w)} come from the nightly batch; since then, from the live speed layer.`
    : 'No batch run yet: every number comes from the live speed layer until the nightly batch (00:30 UTC).'
}

function fillList(id, kind, chart) {
  const rows = chart.entries.map((e) => chartRow(kind, e))
  if (rows.length === 0) {
    const li = document.createElement('li')
    li.className = 'none'
    li.textContent = `No ${kind}s played today yet.`
    rows.push(li)
  }
  $(id).replaceChildren(...rows)
}

function drawWeek(days) {
  const x = days.map((c) => Date.parse(`${c.date}T00:00:00Z`) / 1000)
  const total = days.map((c) => c.totals.plays)
  const batch = days.map((c) => c.totals.parts.batch.plays)
  weekPlot = drawParts($('chart-week'), weekPlot, 'Plays per day, all songs', x, total, batch)
}

/** Loads and draws the overview; called on the first screen and every few seconds while it shows. */
export async function loadOverview() {
  const [songs, artists] = await Promise.all(
    ['song', 'artist'].map((kind) => api(`/v1/charts/daily?kind=${kind}&limit=10`)),
  )
  const before = await loadPastDays(songs.date, songs.watermark)
  const scoped = state.me && !state.me.allArtists
  const incomplete = songs.complete ? '' : ' — INCOMPLETE: a realtime part is missing'
  $('overview-title').textContent = `Today, ${songs.date}${scoped ? ', your artists' : ''}${incomplete}`
  renderTotals(songs, artists)
  $('watermark-line').textContent = watermarkLine(songs.watermark)
  const empty = songs.totals.entries === 0
  $('overview-empty').hidden = !empty
  $('overview-empty').textContent = empty
    ? 'No plays today yet. Start the demo and its simulated listeners with `npm start`, or send events to ' +
      'POST /v1/events on this server (README: The event).'
    : ''
  drawWeek([...before, songs])
  fillList('top-songs', 'song', songs)
  fillList('top-artists', 'artist', artists)
}

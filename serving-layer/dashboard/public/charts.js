// The charts page (#charts?date=): a day's top 50 songs and artists with their rank movement; each row links to
// its song's or artist's view (?song=ID / ?artist=ID), so a chart entry opens the same view a search does.
/* global api, $, fmt */

function arrow(e) {
  if (e.previousRank === null) return { text: 'new', cls: 'new' }
  if (e.change > 0) return { text: `▲${e.change}`, cls: 'up' }
  if (e.change < 0) return { text: `▼${-e.change}`, cls: 'down' }
  return { text: '=', cls: 'same' }
}

/** One chart entry: its move, a link to its view, its plays. */
export function chartRow(kind, e) {
  const li = document.createElement('li')
  li.value = e.rank
  li.dataset.id = e.id
  const a = document.createElement('a')
  a.href = `?${kind}=${encodeURIComponent(e.id)}`
  a.textContent = e.name
  a.dataset.kind = kind
  a.dataset.id = e.id
  const move = arrow(e)
  const m = document.createElement('span')
  m.className = `move ${move.cls}`
  m.textContent = move.text
  const n = document.createElement('span')
  n.className = 'n'
  n.textContent = fmt(e.plays)
  li.append(m, a, n)
  return li
}

/** Fills both lists for `date` (YYYY-MM-DD, or '' for today, live). */
export async function loadCharts(date) {
  $('charts-date').value = date
  const q = date ? `&date=${date}` : ''
  const [songs, artists] = await Promise.all(
    ['song', 'artist'].map((kind) => api(`/v1/charts/daily?kind=${kind}&limit=50${q}`)),
  )
  // Today's chart is asked without a date: the input shows which day the API answered for.
  $('charts-date').value = songs.date
  $('charts-title').textContent =
    `Top 50 of ${songs.date}${songs.complete ? '' : ' — INCOMPLETE: a realtime part is missing'}`
  $('charts-songs').replaceChildren(...songs.entries.map((e) => chartRow('song', e)))
  $('charts-artists').replaceChildren(...artists.entries.map((e) => chartRow('artist', e)))
}

// The charts page (#charts?date=&country=): a day's top 50 songs and artists with their rank movement, of all plays
// or of one country's; each row links to its song's or artist's view (?song=ID / ?artist=ID), so a chart entry opens
// the same view a search does.
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

/** The country select beside the date: every region the browser can name, and `unknown`. */
function countrySelect() {
  let sel = document.getElementById('charts-country')
  if (sel) return sel
  sel = document.createElement('select')
  sel.id = 'charts-country'
  sel.dataset.testid = 'charts-country'
  const names = new Intl.DisplayNames(['en'], { type: 'region' })
  const codes = []
  for (let a = 65; a <= 90; a++)
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b)
      const name = names.of(code)
      if (name && name !== code) codes.push([name, code])
    }
  codes.sort((x, y) => x[0].localeCompare(y[0]))
  const option = (value, text) => Object.assign(document.createElement('option'), { value, textContent: text })
  sel.append(option('', 'All countries'), ...codes.map(([n, c]) => option(c, n)), option('unknown', 'Unknown'))
  sel.addEventListener('change', () => {
    const params = new URLSearchParams(window.location.hash.split('?')[1] ?? '')
    if (sel.value) params.set('country', sel.value)
    else params.delete('country')
    window.location.hash = `#charts?${params.toString()}`
  })
  const label = document.createElement('label')
  label.append('Country ', sel)
  $('charts-date').closest('label').after(label)
  return sel
}

/** Fills both lists for `date` (YYYY-MM-DD, or '' for today, live) and the country in the URL, if any. */
export async function loadCharts(date) {
  $('charts-date').value = date
  const sel = countrySelect()
  const params = new URLSearchParams(window.location.hash.split('?')[1] ?? '')
  // A new date keeps the country chosen before (the date input sets the URL without it).
  const country = params.get('country') ?? sel.value
  if (country && !params.has('country')) {
    params.set('country', country)
    window.history.replaceState(null, '', `#charts?${params.toString()}`)
  }
  sel.value = country
  const q = `${date ? `&date=${date}` : ''}${country ? `&country=${encodeURIComponent(country)}` : ''}`
  const [songs, artists] = await Promise.all(
    ['song', 'artist'].map((kind) => api(`/v1/charts/daily?kind=${kind}&limit=50${q}`)),
  )
  // Today's chart is asked without a date: the input shows which day the API answered for.
  $('charts-date').value = songs.date
  $('charts-title').textContent =
    `Top 50 of ${songs.date}${country ? ` in ${sel.selectedOptions[0]?.textContent ?? country}` : ''}` +
    `${songs.complete ? '' : ' — INCOMPLETE: a realtime part is missing'}`
  $('charts-songs').replaceChildren(...songs.entries.map((e) => chartRow('song', e)))
  $('charts-artists').replaceChildren(...artists.entries.map((e) => chartRow('artist', e)))
}

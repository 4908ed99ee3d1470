// Which view the page shows lives in the URL, so a view can be shared and reloaded: `?song=ID` or
// `?artist=ID` (with `&from=&to=`) for a song's or artist's report, `#charts?date=` for the charts page, and
// nothing for the overview, the first screen.
/* global $, state, select, showError */
import { loadAudience } from './breakdowns.js'
import { loadCharts } from './charts.js'
import { loadOverview } from './overview.js'

const OVERVIEW_REFRESH_MS = 5000

state.onReport = (hit, from, to) => {
  const url = new URL(window.location.href)
  url.search = new URLSearchParams({ [hit.kind]: hit.id, from, to }).toString()
  url.hash = ''
  if (url.href !== window.location.href) window.history.pushState(null, '', url)
  return loadAudience(hit, from, to)
}

function chartsDate() {
  return new URLSearchParams(window.location.hash.split('?')[1] ?? '').get('date') ?? ''
}

/** Shows the view the URL names. */
function route() {
  const charts = window.location.hash.startsWith('#charts')
  const params = new URLSearchParams(window.location.search)
  const kind = charts ? null : params.has('song') ? 'song' : params.has('artist') ? 'artist' : null
  $('charts-page').hidden = !charts
  $('report-page').hidden = kind === null
  $('overview-page').hidden = charts || kind !== null
  if (charts) return loadCharts(chartsDate())
  if (!kind) {
    state.selected = null
    return loadOverview()
  }
  if (params.get('from')) $('from').value = params.get('from')
  if (params.get('to')) $('to').value = params.get('to')
  const id = params.get(kind)
  if (state.selected?.kind === kind && state.selected.id === id) return undefined
  return select({ kind, id })
}

$('charts-date').addEventListener('change', () => {
  const date = $('charts-date').value
  window.location.hash = date ? `#charts?date=${date}` : '#charts'
})
// A chart row, on the charts page or the overview, opens its view in place (the URL changes as a link would,
// without a reload).
for (const page of ['charts-page', 'overview-page']) {
  $(page).addEventListener('click', (e) => {
    const a = e.target.closest('a[data-id]')
    if (!a || e.ctrlKey || e.metaKey) return
    e.preventDefault()
    window.history.pushState(null, '', a.href)
    Promise.resolve(route()).catch(showError)
  })
}
// Today's numbers are live: the overview refreshes while it shows.
setInterval(() => {
  if (!$('overview-page').hidden) loadOverview().catch(showError)
}, OVERVIEW_REFRESH_MS)
window.addEventListener('popstate', () => Promise.resolve(route()).catch(showError))
window.addEventListener('hashchange', () => Promise.resolve(route()).catch(showError))
Promise.resolve(route()).catch(showError)

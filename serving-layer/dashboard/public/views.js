// Which view the page shows lives in the URL, so a view can be shared and reloaded: `?song=ID` or
// `?artist=ID` (with `&from=&to=`) for a song's or artist's report, `#charts?date=` for the charts page.
/* global $, state, select, showError */
import { loadAudience } from './breakdowns.js'
import { loadCharts } from './charts.js'

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
  $('charts-page').hidden = !charts
  $('report-page').hidden = charts
  if (charts) return loadCharts(chartsDate())
  const params = new URLSearchParams(window.location.search)
  const kind = params.has('song') ? 'song' : params.has('artist') ? 'artist' : null
  if (!kind) return undefined
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
// A chart row opens its view in place (the URL changes as a link would, without a reload).
$('charts-page').addEventListener('click', (e) => {
  const a = e.target.closest('a[data-id]')
  if (!a || e.ctrlKey || e.metaKey) return
  e.preventDefault()
  window.history.pushState(null, '', a.href)
  Promise.resolve(route()).catch(showError)
})
window.addEventListener('popstate', () => Promise.resolve(route()).catch(showError))
window.addEventListener('hashchange', () => Promise.resolve(route()).catch(showError))
Promise.resolve(route()).catch(showError)

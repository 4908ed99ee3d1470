// playcount dashboard: a daily chart with the batch and realtime parts told apart, and a live panel.
// Plain browser JavaScript over the public report API; uPlot draws the charts.
'use strict'

const state = {
  me: null,
  selected: null,
  onReport: null,
  eps: { t: [], v: [] },
  plotPlays: null,
  plotListeners: null,
  plotEps: null,
}
// With API_TOKEN or API keys set the API wants a bearer key: asked once on a 401 (or given as ?token=), kept in
// localStorage. The API shows a key only its own artists (search, reports, trending); /v1/me says whose key it is.
const TOKEN_KEY = 'playcount.token'
const fromUrl = new URL(window.location.href)
if (fromUrl.searchParams.has('token')) {
  window.localStorage.setItem(TOKEN_KEY, fromUrl.searchParams.get('token'))
  // Not left in the address bar, history or a Referer.
  fromUrl.searchParams.delete('token')
  window.history.replaceState(null, '', fromUrl)
}
let asking = null
let declined = false

async function api(path) {
  for (;;) {
    const token = window.localStorage.getItem(TOKEN_KEY)
    const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} })
    if (res.status === 401 && (await askToken(token))) continue
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return res.json()
  }
}

/** One prompt for all the calls that got a 401 with the same token; false once the user cancels (until a reload). */
async function askToken(rejected) {
  if (window.localStorage.getItem(TOKEN_KEY) !== rejected) return true
  if (declined) return false
  asking ??= Promise.resolve().then(() => {
    const given = window.prompt(
      rejected
        ? 'The API key was refused. API key:'
        : 'This playcount API needs a key (API_TOKEN, or one from `playcount keys create`):',
    )
    if (given) window.localStorage.setItem(TOKEN_KEY, given.trim())
    else declined = true
    asking = null
    return Boolean(given)
  })
  return asking
}

const $ = (id) => document.getElementById(id)
const fmt = (n) => Number(n).toLocaleString('en-US')
const isoDay = (d) => d.toISOString().slice(0, 10)

function defaultRange() {
  const to = new Date()
  const from = new Date(to.getTime() - 29 * 86400000)
  $('from').value = isoDay(from)
  $('to').value = isoDay(to)
}

/** Opens a song's or artist's report; views.js keeps it in the URL. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- a page global: search.js and views.js call it
function select(hit) {
  state.selected = hit
  // Shown before drawing: the charts take the page's width.
  $('report-page').hidden = false
  $('overview-page').hidden = true
  $('charts-page').hidden = true
  return loadReport().catch(showError)
}

function dayParts(day) {
  if (day.parts) return { batch: day.parts.batch.plays, realtime: day.parts.realtime.plays }
  if (day.source === 'realtime') return { batch: 0, realtime: day.plays }
  return { batch: day.plays, realtime: 0 }
}

async function loadReport() {
  const hit = state.selected
  if (!hit) return
  const path = hit.kind === 'artist' ? 'artists' : 'songs'
  const r = await api(
    `/v1/${path}/${encodeURIComponent(hit.id)}/daily?from=${$('from').value}&to=${$('to').value}&parts=true`,
  )
  $('report').hidden = false
  $('report-title').textContent = `${hit.kind === 'artist' ? 'Artist' : 'Song'}: ${r.name}`
  const complete = r.complete === false ? ' — INCOMPLETE: a realtime part is missing' : ''
  $('report-meta').textContent =
    `${r.from} to ${r.to}, watermark ${r.watermark ? new Date(r.watermark).toISOString() : 'none'}${complete}`
  const x = r.days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000)
  const parts = r.days.map(dayParts)
  const total = parts.map((p) => p.batch + p.realtime)
  const batch = parts.map((p) => p.batch)
  drawPlays(x, total, batch)
  drawListeners(
    x,
    r.days.map((d) => d.listeners),
    r.days.map((d) => d.skips),
  )
  const t = r.totals
  $('totals').replaceChildren(
    ...['plays', 'completes', 'skips', 'likes', 'dislikes', 'listeners'].map((k) => {
      const div = document.createElement('div')
      const b = document.createElement('b')
      b.textContent = fmt(t[k])
      div.append(b, k)
      return div
    }),
  )
  // The audience panels and the URL (views.js, an ES module loaded after this script).
  await state.onReport?.(hit, $('from').value, $('to').value)
}

/** A chart's width: its container's (a phone's panel is narrower than 300 px). */
function width(el) {
  return Math.max(240, el.clientWidth || 600)
}

function drawPlays(x, total, batch) {
  state.plotPlays = drawParts($('chart-plays'), state.plotPlays, 'Plays per day', x, total, batch)
}

/**
 * Bars per day with the batch part (blue) and the realtime part (orange) on top, into `el` (replacing `previous`).
 * The points and each part's sum are on the element, checkable without reading the canvas.
 */
function drawParts(el, previous, title, x, total, batch) {
  el.dataset.points = String(x.length)
  el.dataset.batch = String(batch.reduce((n, v) => n + v, 0))
  el.dataset.realtime = String(total.reduce((n, v) => n + v, 0) - Number(el.dataset.batch))
  previous?.destroy()
  const bars = uPlot.paths.bars({ size: [0.7, 40] })
  return new uPlot(
    {
      title,
      width: width(el),
      height: 240,
      // Days are UTC days: drawn in UTC whatever the browser's zone.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      // Bars start at zero (a cut axis would make a small day look empty), one tick per day or week.
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.05] } },
      series: [
        {},
        { label: 'realtime', fill: 'rgba(255,159,67,0.85)', stroke: '#ff9f43', paths: bars, points: { show: false } },
        { label: 'batch', fill: 'rgba(79,140,255,0.9)', stroke: '#4f8cff', paths: bars, points: { show: false } },
      ],
      axes: [
        { stroke: '#8a93a6', incrs: [86400, 7 * 86400, 28 * 86400], values: '{MMM} {D}' },
        { stroke: '#8a93a6', size: 60 },
      ],
    },
    [x, total, batch],
    el,
  )
}

function drawListeners(x, listeners, skips) {
  const el = $('chart-listeners')
  state.plotListeners?.destroy()
  state.plotListeners = new uPlot(
    {
      title: 'Listeners and skips per day',
      width: width(el),
      height: 200,
      scales: { x: { time: true } },
      series: [
        {},
        { label: 'listeners', stroke: '#4f8cff', width: 2 },
        { label: 'skips', stroke: '#e55353', width: 2 },
      ],
      axes: [{ stroke: '#8a93a6' }, { stroke: '#8a93a6' }],
    },
    [x, listeners, skips],
    el,
  )
}

function drawEps() {
  const el = $('chart-eps')
  if (!state.plotEps) {
    state.plotEps = new uPlot(
      {
        width: width(el),
        height: 120,
        legend: { show: false },
        // The last six minutes, whatever the number of samples so far.
        scales: { x: { time: true, range: () => [Date.now() / 1000 - 360, Date.now() / 1000] } },
        series: [{}, { label: 'events/s', stroke: '#ff9f43', fill: 'rgba(255,159,67,0.2)', width: 2 }],
        axes: [{ stroke: '#8a93a6' }, { stroke: '#8a93a6', size: 50 }],
      },
      [[], []],
      el,
    )
  }
  state.plotEps.setData([state.eps.t, state.eps.v])
}

async function refreshTrending(window_, listId) {
  const { items } = await api(`/v1/trending?window=${window_}&limit=10`)
  $(listId).replaceChildren(
    ...items.map((it) => {
      const li = document.createElement('li')
      // A scoped key sees only its own entries, numbered with their true ranks among all.
      li.value = it.rank
      const n = document.createElement('span')
      n.className = 'n'
      n.textContent = fmt(it.plays)
      li.append(`${it.name ?? it.id}${it.artistName ? ` — ${it.artistName}` : ''}`, n)
      return li
    }),
  )
}

/** Whose key this is, in the header; the operators' figures (status) only for an admin key. */
async function loadMe() {
  state.me = await api('/v1/me')
  const { name, role, label, allArtists, artists } = state.me
  const scope = allArtists ? 'all artists' : `${artists.length} artist${artists.length === 1 ? '' : 's'}`
  $('key').textContent = name === 'anonymous' ? '' : `key ${name} (${role}${label ? `, ${label}` : ''}; ${scope})`
  $('live-figures').hidden = role !== 'admin'
  $('chart-eps').hidden = role !== 'admin'
  $('overview-live').hidden = role !== 'admin'
}

async function refreshLive() {
  if (state.me?.role !== 'admin') {
    $('status').textContent = 'your artists only'
    return Promise.all([refreshTrending('5m', 'trending-5m'), refreshTrending('1h', 'trending-1h')])
  }
  const s = await api('/v1/status')
  const eps = Number(s.eventsPerSecond ?? 0)
  $('eps').textContent = fmt(Math.round(eps))
  $('overview-eps').textContent = fmt(Math.round(eps))
  $('lag').textContent = s.lag === undefined || s.lag === null ? '–' : fmt(s.lag)
  const wm = s.watermark ? new Date(s.watermark).toISOString().replace('.000Z', 'Z') : 'none yet'
  const last = s.lastBatchRun ? `, last batch run ${s.lastBatchRun.endedAt ?? s.lastBatchRun.end ?? ''}` : ''
  const incomplete = s.complete === false ? ' <span class="warn">realtime incomplete</span>' : ''
  $('status').innerHTML = `watermark ${wm}${last}${incomplete}`
  state.eps.t.push(Date.now() / 1000)
  state.eps.v.push(eps)
  if (state.eps.t.length > 120) {
    state.eps.t.shift()
    state.eps.v.shift()
  }
  drawEps()
  await Promise.all([refreshTrending('5m', 'trending-5m'), refreshTrending('1h', 'trending-1h')])
}

function showError(err) {
  $('status').textContent = `error: ${err.message}`
}

defaultRange()
$('range-form').addEventListener('submit', (e) => e.preventDefault())
$('from').addEventListener('change', () => loadReport().catch(showError))
$('to').addEventListener('change', () => loadReport().catch(showError))
// signals.js waits for it too: its panels are about every artist's listeners, for admin keys only.
const meReady = loadMe()
meReady.then(() => refreshLive()).catch(showError)
setInterval(() => refreshLive().catch(showError), 3000)

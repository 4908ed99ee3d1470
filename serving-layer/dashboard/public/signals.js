// Dashboard panels for the marketing side: the live interest signals (rate and latest, with song names) and the
// nightly listener segments (sizes, premium share, and the artists each plays most with how its share of their
// plays compares).
// Uses `api`, `$` and `fmt` from app.js (loaded first).
/* global api, $, fmt, showError, meReady, state */
'use strict'

function timeOf(ms) {
  return new Date(ms).toISOString().slice(11, 16)
}

async function refreshSignals() {
  const r = await api('/v1/signals?limit=10')
  $('signal-rate').textContent = fmt(r.perMinute)
  $('signals-latest').replaceChildren(
    ...r.signals.map((s) => {
      const li = document.createElement('li')
      const n = document.createElement('span')
      n.className = 'n'
      n.textContent = `${s.count}× ${timeOf(s.firstTs)}–${timeOf(s.lastTs)}`
      li.append(`${s.listener}: ${s.songTitle} — ${s.artistName} (${s.rule})`, n)
      return li
    }),
  )
  $('signals-empty').hidden = r.signals.length > 0
}

async function refreshSegments() {
  const r = await api('/v1/segments')
  $('segments-asof').textContent = r.asOf
    ? `as of ${r.asOf}, ${fmt(r.listeners)} listeners`
    : 'no segments yet (the nightly batch computes them)'
  $('segments').replaceChildren(
    ...r.segments.map((s) => {
      const tr = document.createElement('tr')
      const share = r.listeners > 0 ? Math.round((100 * s.size) / r.listeners) : 0
      const artists = s.topArtists
        .slice(0, 3)
        .map((a) => `${a.name} ×${a.lift.toFixed(1)}`)
        .join(', ')
      // The premium share is among the members with a profile; a lake without profiles has none to show.
      const premium = s.centroid.premium === null ? '' : `, ${Math.round(100 * s.centroid.premium)}% premium`
      for (const text of [s.name, `${fmt(s.size)} (${share}%)${premium}`, artists]) {
        const td = document.createElement('td')
        td.textContent = text
        tr.append(td)
      }
      return tr
    }),
  )
}

// Signals and segments name listeners and every artist's plays: the API gives them to admin keys only.
meReady
  .then(() => {
    const admin = state.me?.role === 'admin'
    for (const panel of document.querySelectorAll('.signals-panel, .segments-panel')) panel.hidden = !admin
    if (!admin) return
    refreshSignals().catch(showError)
    refreshSegments().catch(showError)
    setInterval(() => refreshSignals().catch(showError), 3000)
    setInterval(() => refreshSegments().catch(showError), 60000)
  })
  .catch(() => undefined) // app.js shows why /v1/me failed

// The search box in the header, a combobox over GET /v1/search (the WAI-ARIA combobox pattern: the input keeps the
// focus and names the active result with aria-activedescendant, so a screen reader follows it). "/" focuses it from
// anywhere but a text field; ArrowDown and ArrowUp move through the results, Enter opens one, Escape closes the list.
// Opening a result is app.js's `select`, which views.js keeps in the URL.
/* global api, $, select, showError */
'use strict'

const search = { timer: 0, hits: [], active: -1, seq: 0 }

function setExpanded(open) {
  $('results').hidden = !open
  $('q').setAttribute('aria-expanded', String(open))
  if (!open) setActive(-1)
}

function setActive(i) {
  search.active = i
  const options = $('results').querySelectorAll('[role="option"]')
  options.forEach((li, k) => li.setAttribute('aria-selected', String(k === i)))
  if (i < 0) $('q').removeAttribute('aria-activedescendant')
  else {
    $('q').setAttribute('aria-activedescendant', options[i].id)
    options[i].scrollIntoView({ block: 'nearest' })
  }
}

function option(hit, i) {
  const li = document.createElement('li')
  li.id = `result-${i}`
  li.setAttribute('role', 'option')
  li.setAttribute('aria-selected', 'false')
  li.dataset.kind = hit.kind
  li.dataset.id = hit.id
  const kind = document.createElement('span')
  kind.className = 'kind'
  kind.textContent = hit.kind
  li.append(kind, hit.kind === 'song' && hit.artistName ? `${hit.name} — ${hit.artistName}` : hit.name)
  // Keeps the focus in the input, so the list is not closed by the input's focusout before the click.
  li.addEventListener('mousedown', (e) => e.preventDefault())
  li.addEventListener('click', () => choose(i))
  return li
}

async function runSearch() {
  window.clearTimeout(search.timer)
  const q = $('q').value.trim()
  const seq = ++search.seq
  if (!q) {
    search.hits = []
    $('results').replaceChildren()
    setExpanded(false)
    return
  }
  const { results } = await api(`/v1/search?q=${encodeURIComponent(q)}`)
  if (seq !== search.seq) return // a newer query was typed meanwhile
  search.hits = results
  if (results.length === 0) {
    const li = document.createElement('li')
    li.className = 'none'
    li.textContent = `No artist or song matches “${q}”.`
    $('results').replaceChildren(li)
  } else $('results').replaceChildren(...results.map(option))
  setExpanded(true)
}

function choose(i) {
  const hit = search.hits[i]
  if (!hit) return
  setExpanded(false)
  $('q').value = ''
  search.hits = []
  $('q').blur()
  select(hit)
}

function onKey(e) {
  const n = search.hits.length
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault()
    if (n === 0) return
    setExpanded(true)
    const step = e.key === 'ArrowDown' ? 1 : -1
    setActive(search.active < 0 ? (step > 0 ? 0 : n - 1) : (search.active + step + n) % n)
  } else if (e.key === 'Enter') {
    e.preventDefault()
    if (search.active >= 0) choose(search.active)
    else runSearch().catch(showError)
  } else if (e.key === 'Escape') {
    if (!$('results').hidden) setExpanded(false)
    else $('q').value = ''
  }
}

$('q').addEventListener('input', () => {
  window.clearTimeout(search.timer)
  search.timer = window.setTimeout(() => runSearch().catch(showError), 200)
})
$('q').addEventListener('keydown', onKey)
$('search-form').addEventListener('submit', (e) => e.preventDefault())
$('search-form').addEventListener('focusout', (e) => {
  if (!$('search-form').contains(e.relatedTarget)) setExpanded(false)
})
$('q').addEventListener('focus', () => {
  if (search.hits.length > 0) setExpanded(true)
})
document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return
  const t = e.target
  if (t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return
  e.preventDefault()
  $('q').focus()
  $('q').select()
})

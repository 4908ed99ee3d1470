// The audience panels of the selected song or artist: countries (map + sortable list), device and tier shares,
// plays per hour of day, and age × gender grouped bars — each one GET /v1/{songs,artists}/:id/breakdown?by=….
/* global api, $, fmt */
import { drawMap } from './map.js'

let hourPlot = null
const countrySort = { key: 'plays', desc: true, values: [] }

function breakdown(hit, by, from, to) {
  const path = hit.kind === 'artist' ? 'artists' : 'songs'
  return api(`/v1/${path}/${encodeURIComponent(hit.id)}/breakdown?by=${by}&from=${from}&to=${to}`)
}

/** Horizontal bars with each value's share of the plays, into a container. */
function shareBars(el, values) {
  const total = values.reduce((n, v) => n + v.plays, 0)
  el.replaceChildren(
    ...values.map((v) => {
      const share = total > 0 ? (100 * v.plays) / total : 0
      const row = document.createElement('div')
      row.className = 'share'
      row.dataset.value = v.value
      const label = document.createElement('span')
      label.textContent = v.value
      const bar = document.createElement('span')
      bar.className = 'bar'
      bar.style.width = `${share.toFixed(1)}%`
      const n = document.createElement('span')
      n.className = 'n'
      n.textContent = `${fmt(v.plays)} (${Math.round(share)}%)`
      row.append(label, bar, n)
      return row
    }),
  )
}

const GENDER_COLOURS = { female: '#f2789f', male: '#4f8cff', 'non-binary': '#3ecf8e', unspecified: '#e5b453' }

/** Labels in their natural order (age bands and genders sort as text), `unknown` last. */
function ordered(labels) {
  return [...new Set(labels)].sort((a, b) => (a === 'unknown') - (b === 'unknown') || a.localeCompare(b))
}

/**
 * Plays per age band (the axis), one bar per gender in each band, from the by=age_gender cross (`<age>|<gender>`,
 * or `unknown` when neither is known): joint counts, which the age and gender shares alone cannot give.
 */
function ageGenderBars(el, values) {
  const cells = values.map((v) => {
    const [age, gender = 'unknown'] = v.value.split('|')
    return { age, gender, plays: v.plays }
  })
  const ages = ordered(cells.map((c) => c.age))
  const genders = ordered(cells.map((c) => c.gender))
  const max = Math.max(1, ...cells.map((c) => c.plays))
  const legend = document.createElement('div')
  legend.className = 'legend'
  for (const g of genders) {
    const item = document.createElement('span')
    item.style.setProperty('--c', GENDER_COLOURS[g] ?? '#8a93a6')
    item.textContent = g
    legend.append(item)
  }
  const plot = document.createElement('div')
  plot.className = 'groups'
  for (const age of ages) {
    const group = document.createElement('div')
    group.className = 'group'
    group.dataset.age = age
    const bars = document.createElement('div')
    bars.className = 'bars'
    for (const gender of genders) {
      const plays = cells.find((c) => c.age === age && c.gender === gender)?.plays ?? 0
      const bar = document.createElement('span')
      bar.className = 'bar'
      bar.dataset.gender = gender
      bar.style.height = `${((100 * plays) / max).toFixed(1)}%`
      bar.style.background = GENDER_COLOURS[gender] ?? '#8a93a6'
      bar.title = `${age}, ${gender}: ${fmt(plays)} plays`
      bars.append(bar)
    }
    const label = document.createElement('span')
    label.className = 'axis'
    label.textContent = age
    group.append(bars, label)
    plot.append(group)
  }
  // Checkable without reading the bars' geometry: the groups on the axis and the bars in each.
  el.dataset.groups = String(ages.length)
  el.dataset.bars = String(genders.length)
  el.replaceChildren(legend, plot)
}

function renderCountries() {
  const { key, desc, values } = countrySort
  const sorted = [...values].sort((a, b) => {
    const c = key === 'value' ? a.value.localeCompare(b.value) : a[key] - b[key]
    return desc ? -c : c
  })
  $('countries').replaceChildren(
    ...sorted.map((v) => {
      const tr = document.createElement('tr')
      for (const text of [v.value, fmt(v.plays), fmt(v.listeners)]) {
        const td = document.createElement('td')
        td.textContent = text
        tr.append(td)
      }
      return tr
    }),
  )
}

function drawHours(values) {
  const el = $('chart-hours')
  const plays = Array.from(
    { length: 24 },
    (_, h) => values.find((v) => v.value === String(h).padStart(2, '0'))?.plays ?? 0,
  )
  // Checkable without reading the canvas: one bar per hour of day.
  el.dataset.bars = String(plays.length)
  hourPlot?.destroy()
  hourPlot = new uPlot(
    {
      title: 'Plays per hour of day (UTC)',
      width: Math.max(300, el.clientWidth || 600),
      height: 200,
      legend: { show: false },
      scales: { x: { time: false } },
      series: [
        {},
        {
          label: 'plays',
          fill: 'rgba(79,140,255,0.9)',
          stroke: '#4f8cff',
          paths: uPlot.paths.bars({ size: [0.8, 30] }),
          points: { show: false },
        },
      ],
      axes: [{ stroke: '#8a93a6' }, { stroke: '#8a93a6' }],
    },
    [Array.from({ length: 24 }, (_, h) => h), plays],
    el,
  )
}

export async function loadAudience(hit, from, to) {
  const [country, device, tier, hour, ageGender] = await Promise.all(
    ['country', 'device', 'tier', 'hour', 'age_gender'].map((by) => breakdown(hit, by, from, to)),
  )
  $('audience').hidden = false
  countrySort.values = country.values
  renderCountries()
  await drawMap('map', country.values)
  shareBars($('devices'), device.values)
  shareBars($('tiers'), tier.values)
  ageGenderBars($('age-gender'), ageGender.values)
  drawHours(hour.values)
}

for (const th of document.querySelectorAll('#countries-table th[data-key]')) {
  th.addEventListener('click', () => {
    countrySort.desc = countrySort.key === th.dataset.key ? !countrySort.desc : true
    countrySort.key = th.dataset.key
    renderCountries()
  })
}

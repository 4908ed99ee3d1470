/**
 * The main time zone of a country (IANA names, which DuckDB's ICU knows), for features in a listener's local time
 * such as night listening (batch-layer/segments/). A country with several zones gets its most populous one; a
 * country not listed, or an event without one, is taken as UTC.
 */
export const COUNTRY_TIME_ZONE: Readonly<Record<string, string>> = Object.freeze({
  US: 'America/New_York', CA: 'America/Toronto', MX: 'America/Mexico_City', BR: 'America/Sao_Paulo', AR: 'America/Argentina/Buenos_Aires',
  CO: 'America/Bogota', CL: 'America/Santiago', PE: 'America/Lima', GB: 'Europe/London', IE: 'Europe/Dublin', DE: 'Europe/Berlin',
  FR: 'Europe/Paris', ES: 'Europe/Madrid', IT: 'Europe/Rome', NL: 'Europe/Amsterdam', BE: 'Europe/Brussels', SE: 'Europe/Stockholm',
  NO: 'Europe/Oslo', DK: 'Europe/Copenhagen', FI: 'Europe/Helsinki', PL: 'Europe/Warsaw', AT: 'Europe/Vienna', CH: 'Europe/Zurich',
  PT: 'Europe/Lisbon', GR: 'Europe/Athens', TR: 'Europe/Istanbul', RU: 'Europe/Moscow', UA: 'Europe/Kyiv', ZA: 'Africa/Johannesburg',
  NG: 'Africa/Lagos', EG: 'Africa/Cairo', KE: 'Africa/Nairobi', IN: 'Asia/Kolkata', ID: 'Asia/Jakarta', PH: 'Asia/Manila',
  JP: 'Asia/Tokyo', KR: 'Asia/Seoul', CN: 'Asia/Shanghai', TW: 'Asia/Taipei', TH: 'Asia/Bangkok', VN: 'Asia/Ho_Chi_Minh',
  MY: 'Asia/Kuala_Lumpur', SG: 'Asia/Singapore', AE: 'Asia/Dubai', SA: 'Asia/Riyadh', IL: 'Asia/Jerusalem', AU: 'Australia/Sydney',
  NZ: 'Pacific/Auckland',
})

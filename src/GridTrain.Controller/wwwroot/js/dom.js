// Builds elements from text only (never HTML strings), so nothing a user typed can become markup.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on')) {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? '' : value);
    }
  }
  element.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return element;
}

/** "SESSION_STATE_READY" → "READY". */
export const short = (value, prefix) => (value ?? `${prefix}UNSPECIFIED`).replace(prefix, '');

/** Seconds of a proto3 JSON Duration ("5400s", "1.5s"). */
export const seconds = (duration) => (duration ? parseFloat(duration) : 0);

/** "1h 30m", "45s": a span in seconds, for people. */
export function span(totalSeconds) {
  if (!Number.isFinite(totalSeconds)) {
    return '—';
  }
  const sign = totalSeconds < 0 ? '-' : '';
  let s = Math.round(Math.abs(totalSeconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hours = Math.floor(s / 3600); s -= hours * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const parts = d ? [`${d}d`, `${hours}h`] : hours ? [`${hours}h`, `${m}m`] : m ? [`${m}m`, `${s}s`] : [`${s}s`];
  return sign + parts.join(' ');
}

/** Seconds from now until an RFC 3339 time (negative once past). */
export const until = (time) => (time ? (Date.parse(time) - Date.now()) / 1000 : NaN);

export const bytes = (n) => {
  const value = Number(n ?? 0);
  return value >= 2 ** 30 ? `${(value / 2 ** 30).toFixed(1)} GiB` : `${(value / 2 ** 20).toFixed(0)} MiB`;
};

/** "1.25" units spent, with "+6/h" while the session (or user) is burning them. */
export function unitsText(spent, perHour) {
  const rate = Number(perHour ?? 0);
  const burning = rate > 0 ? ` +${Number(rate.toFixed(2))}/h` : '';
  return `${Number(spent ?? 0).toFixed(2)}${burning}`;
}

/** "3.2 GiB of 15.6 GiB (21%)" for a SpaceUse; "—" when there is none. */
export function spaceText(use) {
  if (!use) {
    return '—';
  }
  const total = Number(use.totalBytes ?? 0);
  const used = Number(use.usedBytes ?? 0);
  return `${bytes(used)} of ${bytes(total)}${total > 0 ? ` (${Math.round((100 * used) / total)}%)` : ''}`;
}

export function stateCell(state) {
  return h('td', { class: `state ${state}` }, state);
}

export function errorBanner(error) {
  return h('div', { class: 'banner error', role: 'alert' }, error.status ? `${error.status}: ${error.message}` : String(error.message ?? error));
}

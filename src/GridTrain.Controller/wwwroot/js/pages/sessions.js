// "Manage sessions": the caller's sessions (everyone's for admins), live from the WatchSessions stream; create one,
// end one (the trash icon) or all, keep one alive, resume an evicted one. GPU-hours and units are the server's,
// counted up to the list's time.
import { call, watch } from '../api.js';
import { h, short, seconds, span, until, stateCell, errorBanner, unitsText } from '../dom.js';

const trashIcon = () => h('img', { src: 'icons/trash.svg', alt: '', width: 16, height: 16 });
const live = new Set(['PENDING', 'STARTING', 'READY', 'BUSY']);

function createForm(status) {
  const runtime = h('select', { name: 'runtime', id: 'new-runtime' }, h('option', { value: 'RUNTIME_CPU' }, 'CPU'), h('option', { value: 'RUNTIME_GPU' }, 'GPU'));
  const gpus = h('input', { name: 'gpus', id: 'new-gpus', type: 'number', min: 0, max: 64, value: 0, size: 3 });
  const model = h('input', { name: 'model', id: 'new-model', placeholder: 'any', size: 8 });
  const idle = h('input', { name: 'idle', id: 'new-idle', type: 'number', min: 1, placeholder: 'default', size: 6 });
  const lifetime = h('input', { name: 'lifetime', id: 'new-lifetime', type: 'number', min: 1, step: 'any', placeholder: 'default', size: 6 });
  const name = h('input', { name: 'name', id: 'new-name', maxlength: 128, placeholder: 'optional', size: 14 });
  const form = h('form', { class: 'inline', id: 'create-session' },
    h('label', {}, 'Runtime', runtime), h('label', {}, 'GPUs', gpus), h('label', {}, 'GPU model', model),
    h('label', {}, 'Idle timeout (min)', idle), h('label', {}, 'Lifetime (h)', lifetime), h('label', {}, 'Name', name),
    h('button', { class: 'primary', type: 'submit', id: 'create' }, 'Create session'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const request = {
      resources: { runtime: runtime.value, gpuCount: Number(gpus.value || 0), gpuModel: model.value.trim() },
      displayName: name.value.trim(),
    };
    if (idle.value) {
      request.idleTimeout = `${Number(idle.value) * 60}s`;
    }
    if (lifetime.value) {
      request.maxLifetime = `${Math.round(Number(lifetime.value) * 3600)}s`;
    }
    try {
      await call('POST', '/v1/sessions', request);
      status.replaceChildren();
    } catch (error) {
      status.replaceChildren(errorBanner(error));
    }
  });
  return form;
}

/** When idle eviction would come if nothing changes: idle timeout after the last activity, for a session without work. */
function idleText(session) {
  const state = short(session.state, 'SESSION_STATE_');
  if (state === 'BUSY') {
    return 'busy';
  }
  if (!live.has(state) || !session.lastActivityAt) {
    return '—';
  }
  const idleFor = (Date.now() - Date.parse(session.lastActivityAt)) / 1000;
  return `${span(idleFor)} idle, evicted in ${span(seconds(session.idleTimeout) - idleFor)}`;
}

const lifetimeText = (session) => (live.has(short(session.state, 'SESSION_STATE_')) ? span(until(session.expiresAt)) : '—');

/**
 * The clocks tick between stream messages: the idle and lifetime cells are rewritten in place from the last list
 * (no request, and no element is replaced, so a click in flight still lands).
 */
function tickClocks(body, sessions) {
  const byId = new Map(sessions.map((s) => [s.id, s]));
  for (const tr of body.rows) {
    const session = byId.get(tr.dataset.sessionId);
    if (session) {
      tr.querySelector('td.idle').textContent = idleText(session);
      tr.querySelector('td.lifetime-left').textContent = lifetimeText(session);
    }
  }
}

function row(session, admin, act) {
  const state = short(session.state, 'SESSION_STATE_');
  const resources = session.resources ?? {};
  const gpus = resources.gpuCount ? `${resources.gpuCount}× ${resources.gpuModel || 'any'}` : '—';
  const resumable = state === 'EVICTED' || state === 'SUSPENDED';
  return h('tr', { dataset: { sessionId: session.id } },
    h('td', {}, h('a', { href: `#/session/${encodeURIComponent(session.id)}` }, session.displayName || session.id)),
    h('td', {}, short(resources.runtime, 'RUNTIME_')),
    h('td', {}, gpus),
    stateCell(state),
    h('td', {}, session.agentId || '—'),
    admin ? h('td', {}, session.owner) : null,
    h('td', { class: 'idle' }, idleText(session)),
    h('td', { class: 'lifetime-left' }, lifetimeText(session)),
    h('td', { class: 'gpu-hours' }, (session.gpuHours ?? 0).toFixed(2)),
    h('td', { class: 'units' }, unitsText(session.unitsSpent, session.unitsPerHour)),
    h('td', {},
      live.has(state) ? h('button', { class: 'icon keep-alive', type: 'button', title: 'Keep alive', 'aria-label': 'Keep alive', onclick: () => act('POST', `/v1/sessions/${session.id}:keepAlive`, {}) }, '♥') : null,
      resumable ? h('button', { class: 'icon resume', type: 'button', title: 'Resume', 'aria-label': 'Resume', onclick: () => act('POST', `/v1/sessions/${session.id}:resume`, {}) }, '▶') : null,
      live.has(state) || resumable ? h('button', { class: 'icon danger end', type: 'button', title: 'End session', 'aria-label': 'End session', onclick: () => act('DELETE', `/v1/sessions/${session.id}`) }, trashIcon()) : null));
}

export async function sessionsPage(main, { signal, admin }) {
  const status = h('div', { id: 'status' });
  const body = h('tbody', { id: 'sessions' });
  const count = h('span', { class: 'muted', id: 'session-count' }, 'loading…');
  let current = [];
  const act = async (method, path, request) => {
    try {
      await call(method, path, request);
    } catch (error) {
      status.replaceChildren(errorBanner(error));
    }
  };
  const endAll = h('button', { class: 'danger', type: 'button', id: 'end-all' }, 'End all');
  endAll.addEventListener('click', async () => {
    const ending = current.filter((s) => live.has(short(s.state, 'SESSION_STATE_')) || ['EVICTED', 'SUSPENDED'].includes(short(s.state, 'SESSION_STATE_')));
    if (ending.length && confirm(`End ${ending.length} session(s)? Their running jobs are cancelled.`)) {
      await Promise.all(ending.map((s) => act('DELETE', `/v1/sessions/${s.id}`)));
    }
  });
  main.append(
    h('h1', {}, admin ? 'Sessions (everyone\'s)' : 'Your sessions'),
    createForm(status),
    status,
    h('div', { class: 'toolbar' }, count, endAll),
    h('table', {},
      h('thead', {}, h('tr', {}, ['Session', 'Runtime', 'GPUs', 'State', 'Agent', admin ? 'Owner' : null, 'Idle', 'Lifetime left', 'GPU-hours', 'Units', ''].filter((c) => c !== null).map((c) => h('th', {}, c)))),
      body));
  const clock = setInterval(() => tickClocks(body, current), 5000);
  signal.addEventListener('abort', () => clearInterval(clock), { once: true });
  await watch('/v1/sessions:watch', (list) => {
    current = list.sessions ?? [];
    count.textContent = `${current.length} session(s)`;
    body.replaceChildren(...current.map((s) => row(s, admin, act)));
    if (performance.getEntriesByName('gridtrain:sessions-listed').length === 0) {
      performance.mark('gridtrain:sessions-listed');
    }
  }, signal);
}

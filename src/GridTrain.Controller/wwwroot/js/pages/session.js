// One session: its facts, why it is or isn't idle, the eviction warning when one comes, its resources (GPUs, RAM,
// disk) and its jobs. Live from the WatchSession stream (each change re-reads the jobs and the idleness; none of these
// reads is activity) and the WatchSessionResources stream.
import { call, stream, watch } from '../api.js';
import { h, short, seconds, span, until, stateCell, errorBanner, unitsText } from '../dom.js';
import { resourcesView } from '../resources.js';

function facts(session, idleness) {
  const resources = session.resources ?? {};
  const item = (name, value) => [h('dt', {}, name), h('dd', {}, value)];
  return h('dl', { class: 'facts', id: 'session-facts' },
    item('State', h('span', { class: `state ${short(session.state, 'SESSION_STATE_')}`, id: 'session-state' }, short(session.state, 'SESSION_STATE_'))),
    item('Reason', session.stateReason || '—'),
    item('Runtime', `${short(resources.runtime, 'RUNTIME_')}${resources.gpuCount ? `, ${resources.gpuCount}× ${resources.gpuModel || 'any'} GPU` : ''}`),
    item('Agent', session.agentId ? `${session.agentId}${session.gpuIndexes?.length ? ` (GPUs ${session.gpuIndexes.join(', ')})` : ''}` : '—'),
    item('Owner', session.owner),
    item('Idle timeout', span(seconds(session.idleTimeout))),
    item('Lifetime left', span(until(session.expiresAt))),
    item('GPU-hours', h('span', { id: 'session-gpu-hours' }, (session.gpuHours ?? 0).toFixed(2))),
    item('Units', h('span', { id: 'session-units' }, unitsText(session.unitsSpent, session.unitsPerHour))),
    item('Idle', idleness ? (idleness.idle ? 'yes' : 'no') : '—'),
    item('Why', h('ul', { id: 'idle-reasons' }, (idleness?.reasons ?? []).map((r) => h('li', {}, r)))),
    item('Eviction', idleness?.evictionAt ? `${idleness.evictionReason} eviction in ${span(until(idleness.evictionAt))}` : 'none planned'));
}

function jobsTable(jobs) {
  return h('table', { id: 'jobs' },
    h('thead', {}, h('tr', {}, ['Job', 'State', 'Attempt', 'Step', 'Loss', 'Created'].map((c) => h('th', {}, c)))),
    h('tbody', {}, jobs.map((job) => h('tr', { dataset: { jobId: job.id } },
      h('td', {}, h('a', { href: `#/job/${encodeURIComponent(job.id)}` }, job.spec?.displayName || job.id)),
      stateCell(short(job.state, 'JOB_STATE_')),
      h('td', {}, job.attempt ?? 0),
      h('td', {}, job.progress?.step ?? '0'),
      h('td', {}, job.progress?.loss?.toFixed?.(4) ?? '—'),
      h('td', {}, job.createdAt ? new Date(job.createdAt).toLocaleString() : '—')))));
}

export async function sessionPage(main, { id, signal }) {
  const path = `/v1/sessions/${encodeURIComponent(id)}`;
  const status = h('div', { id: 'status' });
  const warning = h('div', { id: 'eviction-warning' });
  const details = h('div');
  const jobs = h('div');
  const resources = h('div', { id: 'resources' }, h('p', { class: 'muted' }, 'loading…'));
  const act = async (method, url, body) => {
    try {
      await call(method, url, body);
    } catch (error) {
      status.replaceChildren(errorBanner(error));
    }
  };
  main.append(
    h('h1', {}, 'Session ', h('code', {}, id)),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', id: 'keep-alive', onclick: () => act('POST', `${path}:keepAlive`, {}) }, 'Keep alive'),
      h('button', { type: 'button', id: 'resume', onclick: () => act('POST', `${path}:resume`, {}) }, 'Resume'),
      h('button', { type: 'button', class: 'danger', id: 'end', onclick: () => act('DELETE', path) }, h('img', { src: 'icons/trash.svg', alt: '', width: 14, height: 14 }), ' End session')),
    status, warning, details, h('h2', {}, 'Resources'), resources, h('h2', {}, 'Jobs'), jobs);
  const refresh = async () => {
    const [session, idleness, list] = await Promise.all([
      call('GET', path, undefined, signal),
      call('GET', `${path}/idleness`, undefined, signal),
      call('GET', `/v1/jobs?sessionId=${encodeURIComponent(id)}`, undefined, signal),
    ]);
    details.replaceChildren(facts(session, idleness));
    jobs.replaceChildren(list.jobs?.length ? jobsTable(list.jobs) : h('p', { class: 'muted' }, 'No jobs yet: submit one with gridtrain job submit --session ' + id));
  };
  const events = stream(`${path}/events`, async (event) => {
    if (event.kind === 'SESSION_EVENT_KIND_EVICTION_WARNING') {
      warning.replaceChildren(h('div', { class: 'banner warn', role: 'alert' },
        `This session will be evicted in ${span(until(event.evictionDeadline))} (${event.reason || 'idle'}) unless a job runs or you keep it alive.`));
    } else {
      warning.replaceChildren();
    }
    await refresh();
  }, signal);
  const usage = watch(`${path}/resources:watch`, (reading) => resources.replaceChildren(resourcesView(reading)), signal);
  await Promise.all([events, usage]);
}

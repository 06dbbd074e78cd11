// The agents: GPUs, state, sessions; admins cordon, uncordon and drain. Live from the WatchAgents stream: a cordon from
// the CLI, an agent lost or a session placed shows without reloading.
import { call, watch } from '../api.js';
import { h, short, bytes, errorBanner } from '../dom.js';

export async function agentsPage(main, { signal, admin }) {
  const status = h('div', { id: 'status' });
  const body = h('tbody', { id: 'agents' });
  const count = h('span', { class: 'muted', id: 'agent-count' }, 'loading…');
  const act = async (url, request) => {
    try {
      await call('POST', url, request);
      status.replaceChildren();
    } catch (error) {
      status.replaceChildren(errorBanner(error));
    }
  };
  const row = (agent) => {
    const gpus = agent.inventory?.gpus ?? [];
    const path = `/v1/agents/${encodeURIComponent(agent.id)}`;
    const draining = agent.drainDeadline ? ', draining' : '';
    return h('tr', { dataset: { agentId: agent.id } },
      h('td', {}, agent.name || agent.id),
      h('td', { class: 'state' }, short(agent.state, 'AGENT_STATE_') + (agent.cordoned ? ` (cordoned${draining})` : '')),
      h('td', {}, gpus.length ? gpus.map((g) => `${g.index ?? 0}: ${g.model} ${bytes(g.memoryBytes)}`).join(', ') : '—'),
      h('td', {}, `${(agent.freeGpuIndexes ?? []).length} GPUs, ${agent.freeCpuSlots ?? 0} CPU slots`),
      h('td', {}, `${agent.inventory?.cpuCores ?? 0} cores, ${bytes(agent.inventory?.memoryBytes)}`),
      h('td', {}, (agent.sessionIds ?? []).join(', ') || '—'),
      h('td', {}, agent.version ?? ''),
      admin ? h('td', {},
        h('button', { type: 'button', class: 'cordon', onclick: () => act(`${path}:cordon`, { uncordon: !!agent.cordoned }) }, agent.cordoned ? 'Uncordon' : 'Cordon'),
        ' ',
        h('button', { type: 'button', class: 'danger drain', onclick: () => act(`${path}:drain`, {}) }, 'Drain')) : null);
  };
  main.append(
    h('h1', {}, 'Agents'),
    h('div', { class: 'toolbar' }, count),
    status,
    h('table', {},
      h('thead', {}, h('tr', {}, ['Agent', 'State', 'GPUs', 'Free', 'CPU / RAM', 'Sessions', 'Version', admin ? '' : null].filter((c) => c !== null).map((c) => h('th', {}, c)))),
      body));
  await watch('/v1/agents:watch', (list) => {
    const agents = list.agents ?? [];
    count.textContent = `${agents.length} agent(s)`;
    body.replaceChildren(...agents.map(row));
  }, signal);
}

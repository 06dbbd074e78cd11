// A session's "view resources" panel: utilization and memory of each of its GPUs, and its agent's RAM and disk, as
// the agent's latest heartbeat reported them (the page follows the WatchSessionResources stream).
import { h, spaceText } from './dom.js';

const percent = (fraction) => (fraction === undefined || fraction === null ? '—' : `${Math.round(Number(fraction) * 100)}%`);

function gauge(used, total) {
  const max = Number(total ?? 0);
  return max > 0 ? h('meter', { min: 0, max, value: Math.min(Number(used ?? 0), max) }) : null;
}

function gpuRow(gpu) {
  const index = gpu.index ?? 0;
  const memory = gpu.memoryUsedBytes === undefined && gpu.memoryTotalBytes === undefined
    ? '—'
    : spaceText({ usedBytes: gpu.memoryUsedBytes, totalBytes: gpu.memoryTotalBytes });
  return h('tr', { dataset: { gpuIndex: index } },
    h('td', {}, `GPU ${index}`),
    h('td', {}, gpu.model || '—'),
    h('td', { class: 'gpu-utilization' }, gauge(gpu.utilization, 1), ' ', percent(gpu.utilization)),
    h('td', { class: 'gpu-memory' }, gauge(gpu.memoryUsedBytes, gpu.memoryTotalBytes), ' ', memory));
}

/** The panel for one SessionResources message. */
export function resourcesView(resources) {
  if (!resources.agentId) {
    return h('p', { class: 'muted', id: 'resources-none' }, 'The session holds no resources now (it is not placed on an agent).');
  }
  const gpus = resources.gpus ?? [];
  const item = (name, id, value, use) => [h('dt', {}, name), h('dd', { id }, gauge(use?.usedBytes, use?.totalBytes), ' ', value)];
  return h('div', { id: 'resources-panel' },
    h('dl', { class: 'facts' },
      item('System RAM', 'agent-ram', spaceText(resources.memory), resources.memory),
      item('Disk', 'agent-disk', spaceText(resources.disk), resources.disk),
      [h('dt', {}, 'Read'), h('dd', { id: 'resources-read-at' },
        resources.readAt ? `${new Date(resources.readAt).toLocaleTimeString()} on ${resources.agentName || resources.agentId}` : 'no reading from the agent yet')]),
    gpus.length
      ? h('table', { id: 'gpus' },
        h('thead', {}, h('tr', {}, ['GPU', 'Model', 'Utilization', 'Memory'].map((c) => h('th', {}, c)))),
        h('tbody', {}, gpus.map(gpuRow)))
      : h('p', { class: 'muted', id: 'gpus-none' }, 'No GPUs: a CPU session.'));
}

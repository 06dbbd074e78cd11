// The caller's GPU use and compute units against their limits, when used hours and units free (the rolling window),
// and what happens to a new session over a limit.
import { call } from '../api.js';
import { h, seconds, span, until, unitsText } from '../dom.js';

const exhausted = {
  refuse: 'a new session over a limit is refused (RESOURCE_EXHAUSTED), saying when the limit frees',
  queue: 'a new session over a limit is created and waits in the queue until the window frees enough',
  'cpu-only': 'once units or GPU-hours run out, a new GPU session is created as a CPU session; CPU sessions are still admitted (the concurrent-GPU limit still refuses)',
};

export async function quotaPage(main, { signal }) {
  const quota = await call('GET', '/v1/quota', undefined, signal);
  const limit = (value) => (value ? String(value) : 'no limit');
  const item = (name, id, value) => [h('dt', {}, name), h('dd', { id }, value)];
  const burn = Number(quota.burnRate ?? 0);
  const freeAt = quota.unitsFreeAt
    ? `from ${new Date(quota.unitsFreeAt).toLocaleString()} (in ${span(until(quota.unitsFreeAt))})`
    : 'nothing spent in the window';
  main.append(
    h('h1', {}, 'Quota'),
    h('dl', { class: 'facts', id: 'quota' },
      item('User', 'quota-owner', quota.owner),
      item('GPUs held now', 'quota-gpus', `${quota.concurrentGpus ?? 0} of ${limit(quota.maxConcurrentGpus)}`),
      item('GPU-hours used', 'quota-gpu-hours', `${(quota.gpuHours ?? 0).toFixed(2)} of ${limit(quota.gpuHoursPerWindow)}`),
      item('Compute units spent', 'quota-units', `${unitsText(quota.unitsSpent, 0)} of ${limit(quota.unitsPerWindow)}`),
      item('Burn rate', 'quota-burn-rate', burn > 0 ? `${Number(burn.toFixed(2))} units/h` : 'nothing running'),
      item('Units free', 'quota-units-free', freeAt),
      item('When exhausted', 'quota-exhausted', exhausted[quota.whenExhausted] ?? quota.whenExhausted ?? 'refuse'),
      item('Window', 'quota-window', `rolling ${span(seconds(quota.window))}: hours and units used free as they fall out of it`)));
}

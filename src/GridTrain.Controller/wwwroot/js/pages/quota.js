// The caller's GPU use against their limits, and when the used GPU-hours free (the rolling window).
import { call } from '../api.js';
import { h, seconds, span } from '../dom.js';

export async function quotaPage(main, { signal }) {
  const quota = await call('GET', '/v1/quota', undefined, signal);
  const limit = (value) => (value ? String(value) : 'no limit');
  const item = (name, value) => [h('dt', {}, name), h('dd', {}, value)];
  main.append(
    h('h1', {}, 'Quota'),
    h('dl', { class: 'facts', id: 'quota' },
      item('User', quota.owner),
      item('GPUs held now', `${quota.concurrentGpus ?? 0} of ${limit(quota.maxConcurrentGpus)}`),
      item('GPU-hours used', `${(quota.gpuHours ?? 0).toFixed(2)} of ${limit(quota.gpuHoursPerWindow)}`),
      item('Window', `rolling ${span(seconds(quota.window))}: hours used free as they fall out of it`)));
}

// One job: state, attempt and where it resumed from, live loss and accuracy curves and samples/s, logs that follow,
// (its output and its lifecycle), checkpoints, a TensorBoard download and cancel. Everything live comes from the job's event stream.
import { call, stream } from '../api.js';
import { h, short, errorBanner } from '../dom.js';
import { loadCharts } from '../charts.js';

function facts(job) {
  const item = (name, value) => [h('dt', {}, name), h('dd', {}, value)];
  return h('dl', { class: 'facts', id: 'job-facts' },
    item('State', h('span', { class: `state ${short(job.state, 'JOB_STATE_')}`, id: 'job-state' }, short(job.state, 'JOB_STATE_'))),
    item('Session', h('a', { href: `#/session/${encodeURIComponent(job.sessionId)}` }, job.sessionId)),
    item('Attempt', String(job.attempt ?? 0)),
    item('Resumed from', job.resumedFrom || 'a fresh start'),
    item('Outcome', job.result ? `${short(job.result.state, 'JOB_STATE_')} ${job.result.reason ?? ''}`.trim() : '—'),
    item('Test accuracy', job.result?.testAccuracy !== undefined ? job.result.testAccuracy.toFixed(4) : '—'));
}

/** TensorBoard event files, rebuilt from the stream's chunks, offered as downloads. */
class TensorBoardFiles {
  #files = new Map();

  add(chunk) {
    const raw = atob(chunk.data ?? '');
    const data = Uint8Array.from(raw, (c) => c.charCodeAt(0));
    const parts = this.#files.get(chunk.file) ?? [];
    parts.push({ offset: Number(chunk.offset ?? 0), data });
    this.#files.set(chunk.file, parts);
  }

  links() {
    return [...this.#files].map(([file, parts]) => {
      const ordered = parts.sort((a, b) => a.offset - b.offset).map((p) => p.data);
      const url = URL.createObjectURL(new Blob(ordered, { type: 'application/octet-stream' }));
      return h('li', {}, h('a', { href: url, download: file.split('/').pop() }, file));
    });
  }
}

export async function jobPage(main, { id, signal }) {
  const path = `/v1/jobs/${encodeURIComponent(id)}`;
  const status = h('div', { id: 'status' });
  const details = h('div');
  const speed = h('span', { id: 'samples-per-second' }, '—');
  const points = h('span', { id: 'loss-points' }, '0');
  const logs = h('pre', { class: 'logs', id: 'logs' });
  const checkpoints = h('ul', { id: 'checkpoints' });
  const tensorboard = h('ul', { id: 'tensorboard' });
  const lossBox = h('div', { class: 'chart', id: 'loss-chart' });
  const accuracyBox = h('div', { class: 'chart', id: 'accuracy-chart' });
  const cancel = h('button', { type: 'button', class: 'danger', id: 'cancel' }, 'Cancel job');
  cancel.addEventListener('click', async () => {
    try {
      details.replaceChildren(facts(await call('POST', `${path}:cancel`, {})));
    } catch (error) {
      status.replaceChildren(errorBanner(error));
    }
  });
  main.append(
    h('h1', {}, 'Job ', h('code', {}, id)),
    h('div', { class: 'toolbar' }, cancel),
    status, details,
    h('h2', {}, 'Training'),
    h('p', {}, 'Samples/s: ', speed, ' · loss points: ', points),
    h('div', { class: 'charts' }, lossBox, accuracyBox),
    h('h2', {}, 'Logs'), logs,
    h('h2', {}, 'Checkpoints'), checkpoints,
    h('h2', {}, 'TensorBoard'), tensorboard);

  details.replaceChildren(facts(await call('GET', path, undefined, signal)));
  const charts = await loadCharts(lossBox, accuracyBox);
  const files = new TensorBoardFiles();
  let lossCount = 0;
  // The job's output and its lifecycle, following the end unless the reader has scrolled up.
  const log = (line) => {
    const follow = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
    logs.append(`${line}\n`);
    if (follow) {
      logs.scrollTop = logs.scrollHeight;
    }
  };
  await stream(`${path}/events`, (event) => {
    if (event.progress) {
      charts.addLoss(Number(event.progress.step ?? 0), event.progress.loss ?? 0);
      points.textContent = String(++lossCount);
      speed.textContent = (event.progress.samplesPerSecond ?? 0).toFixed(0);
    } else if (event.epoch) {
      charts.addEpoch(event.epoch.epoch ?? 0, event.epoch.testAccuracy ?? 0, event.epoch.testLoss ?? 0);
    } else if (event.log) {
      log(`[${event.log.stream || 'stdout'}] ${event.log.text}`);
    } else if (event.checkpoint) {
      checkpoints.append(h('li', {}, `step ${event.checkpoint.step}: `, h('code', {}, event.checkpoint.uri)));
    } else if (event.tensorboard) {
      files.add(event.tensorboard);
      tensorboard.replaceChildren(...files.links());
    } else if (event.stateChanged) {
      const state = short(event.stateChanged.state, 'JOB_STATE_');
      const cell = details.querySelector('#job-state');
      cell.textContent = state;
      cell.className = `state ${state}`;
      log(`[job] ${state}${event.stateChanged.reason ? `: ${event.stateChanged.reason}` : ''}`);
    }
  }, signal);
  details.replaceChildren(facts(await call('GET', path, undefined, signal)));
}


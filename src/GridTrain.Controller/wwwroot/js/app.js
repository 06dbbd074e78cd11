// The console's shell: sign-in, the header, and hash routes (#/sessions, #/session/ID, #/job/ID, #/agents, #/quota).
// Each page gets an AbortSignal that ends its streams when the user leaves it.
import { auth, call } from './api.js';
import { h, errorBanner, short } from './dom.js';
import { sessionsPage } from './pages/sessions.js';
import { sessionPage } from './pages/session.js';
import { jobPage } from './pages/job.js';
import { agentsPage } from './pages/agents.js';
import { quotaPage } from './pages/quota.js';

const main = document.getElementById('main');
const who = document.getElementById('who');
const nav = document.getElementById('nav');
const signOutButton = document.getElementById('sign-out');
let page = null;
let me = null;

const pages = { sessions: sessionsPage, session: sessionPage, job: jobPage, agents: agentsPage, quota: quotaPage };

function signInPage(message) {
  nav.hidden = true;
  signOutButton.hidden = true;
  who.textContent = '';
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true, placeholder: 'gt_…' });
  const form = h('form', { class: 'signin', id: 'sign-in' },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'token' }, 'API token (from gridtrain token create, or the controller\'s admin token)'),
    input,
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    h('button', { class: 'primary', type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    auth.signIn(input.value.trim());
    me = null;
    route();
  });
  main.replaceChildren(form);
  input.focus();
}

async function route() {
  page?.abort();
  page = new AbortController();
  const signal = page.signal;
  if (!auth.token()) {
    signInPage();
    return;
  }
  try {
    me ??= await call('GET', '/v1/whoami');
  } catch (error) {
    auth.signOut();
    signInPage(error.status === 401 ? 'That token is not valid (unknown or revoked).' : error.message);
    return;
  }
  nav.hidden = false;
  signOutButton.hidden = false;
  who.textContent = `${me.user} (${short(me.role, 'TOKEN_ROLE_').toLowerCase()})`;
  const [name, id] = location.hash.replace(/^#\/?/, '').split('/');
  const render = pages[name] ?? sessionsPage;
  main.replaceChildren();
  try {
    await render(main, { id: id ? decodeURIComponent(id) : undefined, signal, admin: me.role === 'TOKEN_ROLE_ADMIN' });
  } catch (error) {
    if (signal.aborted) {
      return;
    }
    if (error.status === 401) {
      auth.signOut();
      me = null;
      signInPage('Signed out: the token is no longer valid.');
      return;
    }
    main.prepend(errorBanner(error));
  }
}

signOutButton.addEventListener('click', () => {
  auth.signOut();
  me = null;
  page?.abort();
  history.replaceState(null, '', location.pathname);
  signInPage();
});
/** A sign-in link (#signin=CODE&next=PAGE): trades its one-time code for the token, then forgets the link. */
async function redeemSignInLink() {
  const link = new URLSearchParams(location.hash.slice(1));
  const code = link.get('signin');
  if (!code) {
    return null;
  }
  const next = link.get('next') ?? '/sessions';
  history.replaceState(null, '', `${location.pathname}#${next.startsWith('/') ? next : '/sessions'}`);
  const response = await fetch('/console/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code }),
    cache: 'no-store',
    credentials: 'omit',
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    return body.message ?? 'this sign-in link did not work';
  }
  auth.signIn(body.token);
  me = null;
  return null;
}

window.addEventListener('hashchange', () => {
  if (!location.hash.startsWith('#signin=')) {
    route();
  }
});
redeemSignInLink().then((problem) => (problem ? signInPage(problem) : route()));

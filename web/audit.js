import { api, cell, explain, showError, showStatus, takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const status = document.getElementById('status');
const more = document.getElementById('more');
const rows = document.querySelector('#entries tbody');
const PAGE = 50;
let next = null;
let filters = '';

// Details as "key: value" lines (the log holds counts and ids, never templates).
function details(value) {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  return Object.entries(value)
    .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`)
    .join('\n');
}

function when(text) {
  return text.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
}

async function show(append) {
  const from = append && next !== null ? '&from=' + next : '';
  const page = await api(`/face/v1.0/audit?order=newest&limit=${PAGE}${filters}${from}`);
  if (!append) rows.replaceChildren();
  for (const e of page.entries) {
    const row = document.createElement('tr');
    cell(row, String(e.seq));
    cell(row, when(e.dateTime), 'nowrap');
    cell(row, e.actor);
    cell(row, e.action);
    cell(row, e.personGroupId || '–');
    cell(row, e.purpose || '–');
    cell(row, details(e.details), 'details');
    rows.appendChild(row);
  }
  next = page.nextFrom;
  more.hidden = next === null;
  const shown = rows.children.length;
  if (shown === 0) {
    showStatus(status, filters ? 'No entry matches these filters.' : 'The audit log is empty.',
               'warn');
  } else {
    showStatus(status, `${shown} ${shown === 1 ? 'entry' : 'entries'} shown, newest first, of ` +
               `${page.lastSeq} in the log${next === null ? '' : '; older ones below'}.`, 'ok');
  }
}

function readFilters() {
  const q = new URLSearchParams();
  const add = (name, id) => {
    const v = document.getElementById(id).value.trim();
    if (v) q.set(name, v);
  };
  add('action', 'action');
  add('personGroupId', 'gallery');
  add('actor', 'actor');
  const text = q.toString();
  filters = text ? '&' + text : '';
}

async function galleries() {
  const select = document.getElementById('gallery');
  for (const g of await api('/face/v1.0/persongroups')) {
    const option = document.createElement('option');
    option.value = option.textContent = g.personGroupId;
    select.appendChild(option);
  }
}

document.getElementById('audit-form').addEventListener('submit', (event) => {
  event.preventDefault();
  readFilters();
  show(false).catch((e) => showError(status, e));
});
more.addEventListener('click', () => show(true).catch((e) => showError(status, e)));
document.getElementById('check').addEventListener('click', async () => {
  try {
    const r = await api('/face/v1.0/audit/verify');
    showStatus(status, r.intact ? `The chain of ${r.entries} entries is intact.`
                                : `The audit log was tampered with at entry ${r.firstBadSeq}: ${r.problem}`,
               r.intact ? 'ok' : 'error');
  } catch (e) {
    showError(status, e);
  }
});

// The newest entries as soon as the page opens.
show(false).then(galleries).catch((e) => showStatus(status, explain(e), 'error'));

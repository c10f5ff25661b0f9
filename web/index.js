import { api, apiKey, explain, setApiKey, showStatus, takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const form = document.getElementById('key-form');
const input = document.getElementById('key');
const status = document.getElementById('status');
const models = document.getElementById('models');

async function check() {
  if (!apiKey()) {
    showStatus(status, 'No key yet.', '');
    return;
  }
  showStatus(status, 'Checking the key…', '');
  try {
    const info = await api('/face/v1.0/models');
    showStatus(status, 'Connected: the key works.', 'ok');
    const names = info.recognitionModels.map((m) => m.name + (m.default ? ' (default)' : ''));
    models.textContent = 'Recognition models: ' + names.join(', ') + '. Detection models: ' +
        info.detectionModels.join(', ') + '. Transient faceIds live at most ' +
        info.faceIdMaxTimeToLive + ' s.';
  } catch (e) {
    showStatus(status, explain(e), 'error');
  }
}

window.addEventListener('hashchange', () => {
  takeKeyFromFragment();
  check();
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  setApiKey(input.value);
  input.value = '';
  check();
});
check();

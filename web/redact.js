import { apiFile, plural, progress, readFile, showError, showStatus,
         takeKeyFromFragment } from './app.js';

takeKeyFromFragment();
const form = document.getElementById('redact-form');
const status = document.getElementById('status');
const result = document.getElementById('result');
const picture = document.getElementById('redacted');
const download = document.getElementById('download');
const button = document.getElementById('run');
let shown = '';

function query() {
  const q = new URLSearchParams();
  for (const name of ['mode', 'format', 'shape', 'scale', 'threshold']) {
    const value = document.getElementById(name).value.trim();
    if (value) q.set(name, value);  // empty: the server's default
  }
  return q.toString();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = document.getElementById('photo').files[0];
  if (!file) return;
  button.disabled = true;
  result.hidden = true;
  const work = progress(status, 'Sending the photo…');
  const started = performance.now();
  try {
    const photo = await readFile(file);
    work.step('Redacting: every face is searched at several scales, then the result is ' +
              'checked for faces left…');
    const { blob, headers } = await apiFile('/face/v1.0/redact?' + query(),
        { method: 'POST', body: photo.bytes, type: 'application/octet-stream' });
    if (shown) URL.revokeObjectURL(shown);
    shown = URL.createObjectURL(blob);
    await new Promise((resolve) => {
      picture.onload = resolve;
      picture.onerror = resolve;  // the download still works
      picture.src = shown;
    });
    const format = document.getElementById('format').value;
    download.href = shown;
    download.download = 'redacted.' + (format === 'png' ? 'png' : 'jpg');
    const count = Number(headers.get('X-Faces-Redacted') || '0');
    const residual = Number(headers.get('X-Residual-Faces') || '0');
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    document.getElementById('summary').textContent =
        `${plural(count, 'region', 'regions')} redacted in ${seconds} s; ` +
        `${picture.naturalWidth} × ${picture.naturalHeight} px, ` +
        `${(blob.size / 1024).toFixed(0)} KiB. ` +
        (residual === 0 ? 'The detector finds no face left in the result.'
                        : `The detector still finds ${plural(residual, 'face', 'faces')} in the ` +
                          'result: try a larger region or a lower threshold.');
    result.hidden = false;
    if (count === 0) {
      showStatus(status, 'No face found: the photo comes back unchanged.', 'warn');
    } else {
      showStatus(status, plural(count, 'face', 'faces') + ' redacted.', residual ? 'warn' : 'ok');
    }
  } catch (e) {
    result.hidden = true;
    showError(status, e);
  } finally {
    work.done();
    button.disabled = false;
  }
});

// Shared code of the facet web UI: the API key (kept in this tab's sessionStorage only), calls
// to the API with readable errors, and drawing of faces. No third-party code.
const KEY_ITEM = 'facet.apiKey';

export function apiKey() {
  return sessionStorage.getItem(KEY_ITEM) || '';
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_ITEM, key.trim());
  else sessionStorage.removeItem(KEY_ITEM);
}

// A key handed over in the address ("#key=..."; fragments are never sent to a server) is taken
// into this tab and removed from the address bar and history.
export function takeKeyFromFragment() {
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (match) {
    setApiKey(decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function send(path, method, body, type) {
  const headers = {};
  const key = apiKey();
  if (key) headers['Ocp-Apim-Subscription-Key'] = key;
  if (type) headers['Content-Type'] = type;
  try {
    return await fetch(path, { method, headers, body, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'NetworkError', 'the server cannot be reached');
  }
}

async function failure(response) {
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  const err = data && data.error ? data.error : { code: 'Error', message: response.statusText };
  return new ApiError(response.status, err.code, err.message);
}

// Calls the API; resolves to the parsed JSON, rejects with ApiError.
export async function api(path, { method = 'GET', body, type } = {}) {
  const response = await send(path, method, body, type);
  if (!response.ok) throw await failure(response);
  try { return await response.json(); } catch (e) { return null; }
}

// Calls an API route that answers with a file; resolves to { blob, headers }, rejects with
// ApiError.
export async function apiFile(path, { method = 'GET', body, type } = {}) {
  const response = await send(path, method, body, type);
  if (!response.ok) throw await failure(response);
  return { blob: await response.blob(), headers: response.headers };
}

export function explain(error) {
  if (!(error instanceof ApiError)) return String(error);
  if (error.status === 401) return 'The API key is missing or not valid. Enter one on the Home page.';
  if (error.status === 403) return 'This API key may not do that (' + error.message + ').';
  if (error.status === 429) return 'Too many requests: wait a moment and try again.';
  if (error.status === 503) return 'The server is busy: try again in a moment.';
  return error.message + ' (' + error.code + ')';
}

export function showStatus(element, text, kind) {
  element.textContent = text;
  element.className = 'status' + (kind ? ' ' + kind : '');
}

// Reads a chosen file into an image element (for drawing) and its bytes (for the API).
export async function loadFile(file) {
  const bytes = await file.arrayBuffer();
  const url = URL.createObjectURL(file);
  const image = new Image();
  image.decoding = 'async';
  await new Promise((resolve, reject) => {
    image.onload = resolve;
    image.onerror = () => reject(new Error('the browser cannot show this image'));
    image.src = url;
  });
  return { bytes, image, url, type: file.type || 'application/octet-stream' };
}

export const QUALITY_COLOURS = { high: '#1a7f37', medium: '#bf8700', low: '#cf222e' };

// Draws `image` with each face's box (coloured by quality), its landmarks and its number.
export function drawFaces(canvas, image, faces) {
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(image, 0, 0);
  const line = Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 400));
  g.font = `bold ${line * 8}px system-ui, sans-serif`;
  faces.forEach((face, i) => {
    const r = face.faceRectangle;
    const quality = face.faceAttributes && face.faceAttributes.qualityForRecognition;
    const colour = QUALITY_COLOURS[quality] || '#0a58ca';
    g.lineWidth = line;
    g.strokeStyle = colour;
    g.strokeRect(r.left, r.top, r.width, r.height);
    g.fillStyle = colour;
    g.fillText(String(i + 1), r.left + line, r.top - line * 2 > 0 ? r.top - line * 2 : r.top + line * 9);
    if (face.faceLandmarks) {
      g.fillStyle = '#00e5ff';
      for (const p of Object.values(face.faceLandmarks)) {
        g.beginPath();
        g.arc(p.x, p.y, line * 1.5, 0, 2 * Math.PI);
        g.fill();
      }
    }
  });
}

export function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

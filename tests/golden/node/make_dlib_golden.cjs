// Golden output of face-api's dlib ResNet face recognizer, computed by face-api ITSELF: the
// published bundle `dist/face-api.node-wasm.js` of @vladmandic/face-api@1.7.15 (the package the
// weights come from), on TensorFlow.js 4.22 with the wasm backend (pinned in package.json), on
// the original uint8-quantised tfjs weights. facet's converted ONNX is compared with it in
// tests/model_golden_test.cc.
//
// Input: the formula image px[i] = round(127.5 + 100 sin(0.37 i)), 150x150x3 RGB, as a tensor;
// face-api's computeFaceDescriptor applies its own preprocessing ((x - mean RGB) / 255).
// Usage (from tests/golden/node):
//   npm ci --ignore-scripts && NODE_PATH=$PWD/node_modules node make_dlib_golden.cjs MODELS_SRC_DIR
// (NODE_PATH: the bundle, which lives in the model package, requires @tensorflow/tfjs from here.)
'use strict';
const fs = require('fs');
const path = require('path');

const pkg = path.join(process.argv[2], '@vladmandic/face-api@1.7.15');
const faceapi = require(path.join(pkg, 'dist/face-api.node-wasm.js'));
const tf = faceapi.tf;

function writeNpy(file, values, shape) {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  const padded = header + ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(padded.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(padded, 'latin1'),
                                        Buffer.from(new Float32Array(values).buffer)]));
}

(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  await faceapi.nets.faceRecognitionNet.loadFromDisk(path.join(pkg, 'model'));
  const n = 150 * 150 * 3;
  const px = new Float32Array(n);
  for (let i = 0; i < n; i++) px[i] = Math.round(127.5 + 100 * Math.sin(0.37 * i));
  const input = tf.tensor4d(px, [1, 150, 150, 3]);
  const descriptor = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(input);
  writeNpy(path.join(__dirname, '..', 'dlib_resnet_formula.embedding.npy'), descriptor, [1, 128]);
  console.log('face-api', faceapi.version, 'tfjs', tf.version_core, 'backend', tf.getBackend(),
              'first values', Array.from(descriptor.slice(0, 4)));
})().catch((e) => { console.error(e); process.exit(1); });

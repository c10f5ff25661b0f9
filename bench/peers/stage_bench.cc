// facet's side of the peer comparison (bench/peers/run.sh): the network of each pipeline stage,
// run by facet's nn::Network (the code a Session runs) on input tensors that facet's own
// preprocessing makes from a sample photo. The peers (ONNX Runtime, TensorFlow.js) load the same
// tensors from the files written here, so every runtime computes the same thing.
//
//   stage_bench --write-inputs DIR --models MODELS          writes DIR/<stage>.bin + .json
//   stage_bench --run STAGE --inputs DIR --models MODELS [--threads T] [--backend B]
//               [--iterations N] [--warmup W] [--output FILE]
// --run prints one JSON object: per-iteration wall times (ms), CPU time per iteration (ms), and
// writes the output tensor (float32, the first output in ONNX order) to FILE when asked.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "align/align.h"
#include "embed/recognizer.h"
#include "facet/engine.h"
#include "facet/image.h"
#include "image/convert.h"
#include "nn/network.h"

namespace {

struct Stage {
  const char* name;
  const char* model;
  const char* output;  // the output compared across runtimes
};

// The networks of facet's pipeline; "_b5": the 5 faces of the sample photo in one call.
const Stage kStages[] = {
    {"retinaface_1080p", "retinaface_mnet025.onnx", "bbox_stride8"},  // a 1080p frame, 1920x1088
    {"retinaface_1024", "retinaface_mnet025.onnx", "bbox_stride8"},   // a WIDER-size photo, 1024x768
    {"retinaface_640", "retinaface_mnet025.onnx", "bbox_stride8"},    // the coarse pass, 640x384
    {"blazeface", "blazeface_back_256.onnx", "Identity_2:0"},  // regressors of 512 anchors
    {"onet_b5", "onet.onnx", "landmarks"},
    {"mobilefacenet_b1", "mobilefacenet.onnx", "embedding"},
    {"mobilefacenet_b5", "mobilefacenet.onnx", "embedding"},
    {"dlib_resnet_b1", "dlib_resnet.onnx", "embedding"},
};

const Stage* FindStage(const std::string& name) {
  for (const Stage& s : kStages) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "stage_bench: %s\n", message.c_str());
  std::exit(1);
}

template <typename T>
T OrDie(facet::Result<T> result) {
  if (!result.ok()) Die(result.status().ToString());
  return std::move(result).value();
}

// Dies when a file cannot be written: a bench must not report inputs it did not write.
void WriteTensor(const std::string& dir, const std::string& name, const cv::Mat& blob,
                 const std::string& layout) {
  std::ofstream data(dir + "/" + name + ".bin", std::ios::binary);
  data.write(reinterpret_cast<const char*>(blob.ptr<float>()),
             static_cast<std::streamsize>(blob.total() * sizeof(float)));
  nlohmann::json shape = nlohmann::json::array();
  for (int i = 0; i < blob.dims; ++i) shape.push_back(blob.size[i]);
  std::ofstream meta(dir + "/" + name + ".json");
  meta << nlohmann::json{{"shape", shape}, {"layout", layout}}.dump() << "\n";
  data.close();
  meta.close();
  if (!data || !meta) Die("cannot write " + dir + "/" + name + ".bin/.json");
}

cv::Mat ReadTensor(const std::string& dir, const std::string& name) {
  std::ifstream meta(dir + "/" + name + ".json");
  if (!meta) Die("missing " + dir + "/" + name + ".json (run --write-inputs first)");
  const nlohmann::json j = nlohmann::json::parse(meta);
  std::vector<int> shape = j.at("shape").get<std::vector<int>>();
  cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
  std::ifstream in(dir + "/" + name + ".bin", std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(blob.ptr<float>()),
               static_cast<std::streamsize>(blob.total() * sizeof(float)))) {
    Die("truncated " + name + ".bin");
  }
  return blob;
}

// Inputs made the way facet's stages make them, from sample5.jpg (1920x1398, 5 faces).
int WriteInputs(const std::string& dir, const std::string& models) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) Die("cannot create " + dir + ": " + error.message());
  const std::string photo_path = models + "/src/@vladmandic/face-api@1.7.15/demo/sample5.jpg";
  facet::Image photo = OrDie(facet::LoadImage(photo_path));
  const cv::Mat image = facet::image::AsMat(photo);
  // BlazeFace: the frame letterboxed to 256x256, RGB, x / 127.5 - 1, NHWC.
  {
    const float scale = 256.0f / static_cast<float>(std::max(image.cols, image.rows));
    const int w = static_cast<int>(std::lround(image.cols * scale));
    const int h = static_cast<int>(std::lround(image.rows * scale));
    cv::Mat resized, letterboxed(256, 256, CV_8UC3, cv::Scalar::all(0)), rgb, f;
    cv::resize(image, resized, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    resized.copyTo(letterboxed(cv::Rect((256 - w) / 2, (256 - h) / 2, w, h)));
    cv::cvtColor(letterboxed, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(f, CV_32F, 1.0 / 127.5, -1.0);
    const int dims[] = {1, 256, 256, 3};
    WriteTensor(dir, "blazeface", cv::Mat(4, dims, CV_32F, f.ptr<float>()).clone(), "NHWC");
  }
  // RetinaFace: the photo resized to each size (16:9 frames padded at the bottom to a multiple of
  // 32, black), RGB, (x - 127.5) / 128, NHWC: as src/detect/retinaface.cc prepares it.
  for (const auto& [name, w, h, input_h] :
       {std::tuple<const char*, int, int, int>{"retinaface_1080p", 1920, 1080, 1088},
        {"retinaface_1024", 1024, 768, 768},
        {"retinaface_640", 640, 360, 384}}) {
    cv::Mat resized, canvas(input_h, w, CV_8UC3, cv::Scalar::all(0)), f;
    cv::resize(image, resized, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    resized.copyTo(canvas(cv::Rect(0, 0, w, h)));
    cv::cvtColor(canvas, canvas, cv::COLOR_BGR2RGB);
    canvas.convertTo(f, CV_32F, 1.0 / 128, -127.5 / 128);
    const int dims[] = {1, input_h, w, 3};
    WriteTensor(dir, name, cv::Mat(4, dims, CV_32F, f.ptr<float>()).clone(), "NHWC");
  }
  auto engine = OrDie(facet::Engine::Create({.model_dir = models, .backend = "opencv"}));
  auto session = OrDie(engine->NewSession());
  const std::vector<facet::Face> faces = OrDie(session->Detect(photo));
  if (faces.size() != 5) Die("expected 5 faces in sample5.jpg, found " + std::to_string(faces.size()));
  // O-Net: the square around each box, 48x48, transposed (MTCNN), RGB, (x - 127.5) / 128, NCHW.
  {
    std::vector<cv::Mat> crops;
    for (const facet::Face& face : faces) {
      const float side = std::max(face.box.width, face.box.height);
      const cv::Rect square(static_cast<int>(face.box.x + face.box.width / 2 - side / 2),
                            static_cast<int>(face.box.y + face.box.height / 2 - side / 2),
                            static_cast<int>(side), static_cast<int>(side));
      cv::Mat crop, t;
      cv::resize(image(square & cv::Rect(0, 0, image.cols, image.rows)), crop, cv::Size(48, 48), 0, 0,
                 cv::INTER_AREA);
      cv::transpose(crop, t);
      crops.push_back(t);
    }
    cv::Mat blob;
    cv::dnn::blobFromImages(crops, blob, 1.0 / 128.0, cv::Size(), cv::Scalar::all(127.5), true, false, CV_32F);
    WriteTensor(dir, "onet_b5", blob, "NCHW");
  }
  // Recognizers: the aligned crops exactly as facet's embed stage makes them.
  for (const char* name : {"mobilefacenet", "dlib_resnet"}) {
    const facet::embed::RecognizerSpec spec = OrDie(facet::embed::FindRecognizer(name));
    std::vector<cv::Mat> crops(faces.size());
    for (size_t i = 0; i < faces.size(); ++i) {
      facet::align::AlignFace(image, faces[i].landmarks, facet::embed::CropTemplate(spec), spec.crop_size,
                              &crops[i]);
    }
    cv::Mat blob;
    cv::dnn::blobFromImages(crops, blob, spec.scale, cv::Size(), spec.mean, true, false, CV_32F);
    const int one[] = {1, 3, spec.crop_size, spec.crop_size};
    WriteTensor(dir, std::string(name) + "_b1", cv::Mat(4, one, CV_32F, blob.ptr<float>()).clone(), "NCHW");
    if (std::string(name) == "mobilefacenet") WriteTensor(dir, "mobilefacenet_b5", blob, "NCHW");
  }
  std::printf("stage_bench: inputs written to %s\n", dir.c_str());
  return 0;
}

double CpuMilliseconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

int Run(const Stage& stage, const std::string& inputs, const std::string& models, int threads,
        const std::string& backend_name, int iterations, int warmup, const std::string& output_path) {
  const facet::nn::Backend backend = OrDie(facet::nn::ParseBackend(backend_name));
  cv::setNumThreads(threads);
  auto file = OrDie(facet::nn::ModelFile::Read(models + "/" + stage.model,
                                              {.backend = backend, .num_threads = threads}));
  auto network = OrDie(facet::nn::Network::Create(*file));
  const cv::Mat input = ReadTensor(inputs, stage.name);
  std::vector<cv::Mat> outputs;
  for (int i = 0; i < warmup; ++i) {
    if (!network->Forward(input, &outputs).ok()) Die("forward failed");
  }
  std::vector<double> times;
  const double cpu_start = CpuMilliseconds();
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const facet::Status s = network->Forward(input, &outputs);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (!s.ok()) Die(s.ToString());
  }
  const double cpu = (CpuMilliseconds() - cpu_start) / iterations;
  const auto& names = network->output_names();
  const auto it = std::find(names.begin(), names.end(), stage.output);
  if (it == names.end()) Die(std::string("no output ") + stage.output);
  const cv::Mat& out = outputs[static_cast<size_t>(it - names.begin())];
  if (!output_path.empty()) {
    std::ofstream(output_path, std::ios::binary)
        .write(reinterpret_cast<const char*>(out.ptr<float>()),
               static_cast<std::streamsize>(out.total() * sizeof(float)));
  }
  std::printf("%s\n", nlohmann::json{{"stage", stage.name},
                                     {"runtime", "facet"},
                                     {"backend", backend_name},
                                     {"threads", threads},
                                     {"times_ms", times},
                                     {"cpu_ms", cpu}}
                          .dump()
                          .c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string write_inputs, run, inputs, models, backend = "xnnpack", output;
  int threads = 1, iterations = 50, warmup = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + arg);
      return argv[++i];
    };
    if (arg == "--write-inputs") write_inputs = next();
    else if (arg == "--run") run = next();
    else if (arg == "--inputs") inputs = next();
    else if (arg == "--models") models = next();
    else if (arg == "--backend") backend = next();
    else if (arg == "--output") output = next();
    else if (arg == "--threads") threads = std::atoi(next().c_str());
    else if (arg == "--iterations") iterations = std::atoi(next().c_str());
    else if (arg == "--warmup") warmup = std::atoi(next().c_str());
    else Die("unknown argument " + arg);
  }
  if (models.empty()) Die("--models is required");
  if (!write_inputs.empty()) return WriteInputs(write_inputs, models);
  const Stage* stage = FindStage(run);
  if (stage == nullptr) Die("unknown stage '" + run + "'");
  if (threads < 1 || iterations < 1 || warmup < 0) Die("bad --threads/--iterations/--warmup");
  return Run(*stage, inputs, models, threads, backend, iterations, warmup, output);
}

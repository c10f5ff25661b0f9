// Face recognizers: aligned crop in, L2-normalised template out.
//
// RecognizerSpec: what a model needs (crop size, template, preprocessing) and its calibrated
// thresholds; immutable. Recognizer: a runnable instance; not thread-safe, one per Session.
#ifndef FACET_SRC_EMBED_RECOGNIZER_H_
#define FACET_SRC_EMBED_RECOGNIZER_H_

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "align/align.h"
#include "facet/types.h"
#include "nn/network.h"

namespace facet::embed {

struct RecognizerSpec {
  std::string name;        // e.g. "mobilefacenet"
  std::string version;     // model package and version (registered models: "sha256:<hex>"),
                           // stored with every template
  std::string model_file;  // path inside the model directory
  bool registered = false;  // added by `facet models add` (embed/registry.h), not built in
  int crop_size = 112;
  float crop_padding = 0;  // see align::ScaledTemplate
  float crop_shift_y = 0;  // template moved down by this share of the crop (negative: up)
  // Input: the crop in RGB (bgr = false) or BGR channel order, as (x - mean[c]) * scale with
  // mean in that same channel order, in NCHW (nhwc = false) or NHWC layout.
  cv::Scalar mean;
  double scale = 1.0;
  bool bgr = false;
  bool nhwc = false;
  // The largest batch the model takes (its ONNX input declares a fixed batch), 0: any.
  int max_batch = 0;
  int dimensions = 0;
  // Cosine-similarity thresholds calibrated on LFW (docs/models.md); both 0 for a registered
  // model not calibrated yet (`facet models calibrate`): see calibrated().
  float threshold_fmr_1e3 = 0;
  float threshold_fmr_1e4 = 0;
  // The median ln(L2 norm) of the model's raw output over LFW's development faces (View 1): the
  // quality score's feature-norm term is measured from it (quality/quality.h). 0: not measured;
  // the quality score then leaves the term out.
  float feature_norm_reference = 0;

  bool calibrated() const { return threshold_fmr_1e4 > threshold_fmr_1e3; }
};

// Returns the spec of the built-in recognizer `name`, or kInvalidArgument listing the built-in
// names. (Registered models too: FindRecognizer(name, model_dir) in embed/registry.h.)
Result<RecognizerSpec> FindRecognizer(const std::string& name);

// The names of the built-in recognizers, the default first.
std::vector<std::string> RecognizerNames();

class Recognizer {
 public:
  static Result<std::unique_ptr<Recognizer>> Create(const RecognizerSpec& spec,
                                                    const nn::ModelFile& model);

  // Embeds aligned crops (CV_8UC3 BGR, crop_size square) in one batch. With `mirror_average`
  // each crop's template is the normalised sum of its own and its mirror image's.
  Status Embed(const std::vector<cv::Mat>& aligned_bgr, bool mirror_average,
               std::vector<std::vector<float>>* templates);

  // For each aligned crop, the cosine similarity between its template and its mirror image's
  // (one batch of twice the crops). A face the model sees clearly reads ~0.98; profiles, blur,
  // occlusion and poor alignment read lower: a recognition-quality signal (docs/quality.md).
  // With `feature_norms`, also the L2 norm of each crop's raw output (before normalisation; its
  // scale is the model's): larger for faces the model sees clearly (docs/quality.md).
  Status MirrorAgreement(const std::vector<cv::Mat>& aligned_bgr, std::vector<float>* cosines,
                         std::vector<float>* feature_norms = nullptr);

  const RecognizerSpec& spec() const { return spec_; }

 private:
  Recognizer(RecognizerSpec spec, std::unique_ptr<nn::Network> network)
      : spec_(std::move(spec)), network_(std::move(network)) {}

  // The input blob of batch_[begin, end) in the model's layout, channel order and normalisation.
  void MakeBlob(size_t begin, size_t end);
  // Runs batch_ (in chunks of spec_.max_batch) into values_.
  Status RunBatch();

  RecognizerSpec spec_;
  std::unique_ptr<nn::Network> network_;
  std::vector<cv::Mat> batch_;
  std::vector<cv::Mat> mirror_batch_;
  std::vector<std::vector<float>> mirror_templates_;
  cv::Mat blob_;
  std::vector<cv::Mat> outputs_;
  std::vector<float> values_;  // the raw outputs of batch_, batch_.size() x dimensions
};

// Where the 5 landmarks go in this model's crop: the ArcFace template scaled to crop_size with
// crop_padding, moved down by crop_shift_y.
align::Landmarks5 CropTemplate(const RecognizerSpec& spec);

// L2-normalises `values` in place; leaves an all-zero vector unchanged.
void NormalizeL2(std::vector<float>* values);

}  // namespace facet::embed

#endif  // FACET_SRC_EMBED_RECOGNIZER_H_

// Photo redaction over HTTP: the redaction library's RedactImage on an inference worker's
// Session, the result encoded in memory. Nothing is stored or logged; there is no keep filter
// (`facet redact --keep` stays a CLI feature: it would identify people over the network).
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "facet/image.h"
#include "facet/redact.h"
#include "service/api.h"
#include "service/request_parsing.h"

namespace facet::service {

void Api::Redact(const httplib::Request& req, httplib::Response& res, const CallContext& /*ctx*/) {
  RedactParams params;
  if (auto e = ParseRedactParams(req.params, &params)) return SetApiError(res, *e);
  std::string_view bytes;
  if (auto e = CheckedRequestImage(req, deps_.options.max_pixels, &bytes)) {
    return SetApiError(res, *e);
  }

  std::vector<uint8_t> encoded;
  int faces_redacted = 0;
  int residual_faces = 0;
  float redacted_share = 0;
  const bool ran =
      RunOnDecodedImage(bytes, res, [&](WorkerSessions& worker, Image& image) -> Status {
        RedactOptions options = params.options;
        options.verify_encoding = params.format;  // verify what the client receives
        auto redaction = RedactImage(*worker.sessions[0], image, options);
        if (!redaction.ok()) return redaction.status();
        faces_redacted = redaction->faces_redacted;
        residual_faces = redaction->residual_faces;
        redacted_share = redaction->redacted_share;
        auto out = EncodeImage(image, params.format);
        if (!out.ok()) return out.status();
        encoded = std::move(out).value();
        return Status::Ok();
      });
  if (!ran) return;

  res.status = 200;
  res.set_header("X-Faces-Redacted", std::to_string(faces_redacted));
  // Faces the detector still finds in the output at its normal threshold (0: none).
  res.set_header("X-Residual-Faces", std::to_string(residual_faces));
  // The share (0..1) of the picture the redaction changed, 4 decimals.
  char share[16];
  std::snprintf(share, sizeof share, "%.4f", redacted_share);
  res.set_header("X-Redacted-Share", share);
  res.set_content(std::string(encoded.begin(), encoded.end()),
                  params.format == ImageFormat::kPng ? "image/png" : "image/jpeg");
}

}  // namespace facet::service

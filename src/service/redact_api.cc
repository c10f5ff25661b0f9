// Photo redaction over HTTP: the redaction library's RedactImage on an inference worker's
// Session, the result encoded in memory. Nothing is stored or logged; there is no keep filter
// (`facet redact --keep` stays a CLI feature: it would identify people over the network).
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "facet/image.h"
#include "facet/redact.h"
#include "service/api.h"
#include "service/request_parsing.h"
#include "service/transport.h"

namespace facet::service {

void Api::Redact(const httplib::Request& req, httplib::Response& res, const CallContext& /*ctx*/) {
  RedactParams params;
  if (auto e = ParseRedactParams(req.params, &params)) return SetApiError(res, *e);
  std::string_view bytes;
  if (auto e = CheckedRequestImage(req, deps_.options.max_pixels, &bytes)) {
    return SetApiError(res, *e);
  }

  Status outcome;
  std::vector<uint8_t> encoded;
  int faces_redacted = 0;
  const ConnectionState* connection = ConnectionState::Current();
  bool client_gone = false;
  const Status run = deps_.pool->Run([&](WorkerSessions& worker) {
    if (connection != nullptr && connection->PeerGone()) {
      client_gone = true;
      return;
    }
    try {
      DecodeOptions decode;
      decode.max_pixels = deps_.options.max_pixels;
      decode.max_file_bytes = deps_.options.max_body_bytes;
      auto image = DecodeImage(AsBytes(bytes), decode);
      if (!image.ok()) {
        outcome = image.status();
        return;
      }
      auto redaction = RedactImage(*worker.sessions[0], image.value(), params.options);
      if (!redaction.ok()) {
        outcome = redaction.status();
        return;
      }
      faces_redacted = redaction->faces_redacted;
      auto out = EncodeImage(image.value(), params.format);
      if (!out.ok()) {
        outcome = out.status();
        return;
      }
      encoded = std::move(out).value();
    } catch (const std::exception&) {
      outcome = Status::Internal("inference failed");
    }
  });
  if (!run.ok()) return SetBusy(res, run);
  if (client_gone) {
    if (ConnectionState* c = ConnectionState::Current()) c->close_after_response = true;
    return SetError(res, 408, "Timeout", "the client closed the connection");
  }
  if (!outcome.ok()) return SetStatusError(res, outcome);

  res.status = 200;
  res.set_header("X-Faces-Redacted", std::to_string(faces_redacted));
  res.set_content(std::string(encoded.begin(), encoded.end()),
                  params.format == ImageFormat::kPng ? "image/png" : "image/jpeg");
}

}  // namespace facet::service

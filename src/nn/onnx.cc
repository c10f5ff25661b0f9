#include "nn/onnx.h"

#include <bit>
#include <cstring>

namespace facet::nn::onnx {
namespace {

static_assert(std::endian::native == std::endian::little,
              "raw_data is little-endian; a big-endian host would need byte swaps");

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Most elements one tensor may hold (2^31): far above any face model, far below overflow.
constexpr int64_t kMaxElements = int64_t{1} << 31;

Status Corrupt(const std::string& what) { return Status::CorruptData("ONNX: " + what); }

// Reads one protobuf message's fields in order. All reads are bounds-checked.
class WireReader {
 public:
  WireReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  bool done() const { return p_ >= end_; }

  Status Key(uint32_t* field, uint32_t* wire) {
    uint64_t key = 0;
    FACET_RETURN_IF_ERROR(Varint(&key));
    *field = static_cast<uint32_t>(key >> 3);
    *wire = static_cast<uint32_t>(key & 7);
    if (*field == 0) return Corrupt("field number 0");
    return Status::Ok();
  }

  Status Varint(uint64_t* value) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return Corrupt("truncated varint");
      const uint8_t byte = *p_++;
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *value = v;
        return Status::Ok();
      }
    }
    return Corrupt("varint longer than 10 bytes");
  }

  Status Fixed32(uint32_t* value) {
    if (end_ - p_ < 4) return Corrupt("truncated fixed32");
    std::memcpy(value, p_, 4);
    p_ += 4;
    return Status::Ok();
  }

  Status Bytes(const uint8_t** data, size_t* size) {
    uint64_t n = 0;
    FACET_RETURN_IF_ERROR(Varint(&n));
    if (n > static_cast<uint64_t>(end_ - p_)) return Corrupt("length past the end of the data");
    *data = p_;
    *size = static_cast<size_t>(n);
    p_ += n;
    return Status::Ok();
  }

  Status Skip(uint32_t wire) {
    switch (wire) {
      case kVarint: {
        uint64_t ignored = 0;
        return Varint(&ignored);
      }
      case kFixed64:
        if (end_ - p_ < 8) return Corrupt("truncated fixed64");
        p_ += 8;
        return Status::Ok();
      case kLengthDelimited: {
        const uint8_t* ignored = nullptr;
        size_t n = 0;
        return Bytes(&ignored, &n);
      }
      case kFixed32:
        if (end_ - p_ < 4) return Corrupt("truncated fixed32");
        p_ += 4;
        return Status::Ok();
      default:
        return Corrupt("unsupported wire type " + std::to_string(wire));
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

Status ReadString(WireReader& r, uint32_t wire, std::string* out) {
  if (wire != kLengthDelimited) return Corrupt("string field with wire type " + std::to_string(wire));
  const uint8_t* data = nullptr;
  size_t n = 0;
  FACET_RETURN_IF_ERROR(r.Bytes(&data, &n));
  out->assign(reinterpret_cast<const char*>(data), n);
  return Status::Ok();
}

Status ReadSubmessage(WireReader& r, uint32_t wire, WireReader* sub) {
  if (wire != kLengthDelimited) return Corrupt("message field with wire type " + std::to_string(wire));
  const uint8_t* data = nullptr;
  size_t n = 0;
  FACET_RETURN_IF_ERROR(r.Bytes(&data, &n));
  *sub = WireReader(data, n);
  return Status::Ok();
}

// int64/int32 fields are two's complement varints (not zigzag).
int64_t AsSigned(uint64_t v) { return static_cast<int64_t>(v); }

// A repeated int64/int32 field, packed (wire 2) or not (wire 0).
Status ReadInts(WireReader& r, uint32_t wire, std::vector<int64_t>* out) {
  if (wire == kVarint) {
    uint64_t v = 0;
    FACET_RETURN_IF_ERROR(r.Varint(&v));
    out->push_back(AsSigned(v));
    return Status::Ok();
  }
  WireReader packed(nullptr, 0);
  FACET_RETURN_IF_ERROR(ReadSubmessage(r, wire, &packed));
  while (!packed.done()) {
    uint64_t v = 0;
    FACET_RETURN_IF_ERROR(packed.Varint(&v));
    out->push_back(AsSigned(v));
  }
  return Status::Ok();
}

// A repeated float field, packed (wire 2) or not (wire 5).
Status ReadFloats(WireReader& r, uint32_t wire, std::vector<float>* out) {
  if (wire == kFixed32) {
    uint32_t bits = 0;
    FACET_RETURN_IF_ERROR(r.Fixed32(&bits));
    out->push_back(std::bit_cast<float>(bits));
    return Status::Ok();
  }
  if (wire != kLengthDelimited) return Corrupt("float field with wire type " + std::to_string(wire));
  const uint8_t* data = nullptr;
  size_t n = 0;
  FACET_RETURN_IF_ERROR(r.Bytes(&data, &n));
  if (n % 4 != 0) return Corrupt("packed floats not a multiple of 4 bytes");
  const size_t first = out->size();
  out->resize(first + n / 4);
  std::memcpy(out->data() + first, data, n);
  return Status::Ok();
}

Status ReadTensor(WireReader r, Tensor* t) {
  const uint8_t* raw = nullptr;
  size_t raw_size = 0;
  bool has_raw = false;
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    FACET_RETURN_IF_ERROR(r.Key(&field, &wire));
    switch (field) {
      case 1:
        FACET_RETURN_IF_ERROR(ReadInts(r, wire, &t->dims));
        break;
      case 2: {
        if (wire != kVarint) return Corrupt("tensor data_type wire type");
        uint64_t v = 0;
        FACET_RETURN_IF_ERROR(r.Varint(&v));
        t->data_type = static_cast<int32_t>(v);
        break;
      }
      case 4:
        FACET_RETURN_IF_ERROR(ReadFloats(r, wire, &t->floats));
        break;
      case 5:
      case 7:
        FACET_RETURN_IF_ERROR(ReadInts(r, wire, &t->ints));
        break;
      case 8:
        FACET_RETURN_IF_ERROR(ReadString(r, wire, &t->name));
        break;
      case 9:
        if (wire != kLengthDelimited) return Corrupt("raw_data wire type");
        FACET_RETURN_IF_ERROR(r.Bytes(&raw, &raw_size));
        has_raw = true;
        break;
      case 13:
      case 14:
        return Corrupt("tensor '" + t->name + "' is stored outside the model file (unsupported)");
      default:
        FACET_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  int64_t count = 1;
  for (int64_t d : t->dims) {
    if (d < 0 || (d > 0 && count > kMaxElements / d)) {
      return Corrupt("tensor '" + t->name + "' has invalid dimensions");
    }
    count *= d;
  }
  if (t->data_type != kFloat && t->data_type != kInt32 && t->data_type != kInt64) {
    return Corrupt("tensor '" + t->name + "' has unsupported data type " +
                   std::to_string(t->data_type));
  }
  if (has_raw) {
    const size_t element_size = t->data_type == kInt64 ? 8 : 4;
    if (raw_size != static_cast<size_t>(count) * element_size) {
      return Corrupt("tensor '" + t->name + "' raw_data has " + std::to_string(raw_size) +
                     " bytes for " + std::to_string(count) + " elements");
    }
    if (t->data_type == kFloat) {
      t->floats.resize(static_cast<size_t>(count));
      std::memcpy(t->floats.data(), raw, raw_size);
    } else if (t->data_type == kInt32) {
      t->ints.resize(static_cast<size_t>(count));
      for (size_t i = 0; i < t->ints.size(); ++i) {
        int32_t v = 0;
        std::memcpy(&v, raw + 4 * i, 4);
        t->ints[i] = v;
      }
    } else {
      t->ints.resize(static_cast<size_t>(count));
      std::memcpy(t->ints.data(), raw, raw_size);
    }
  }
  const size_t stored = t->data_type == kFloat ? t->floats.size() : t->ints.size();
  if (stored != static_cast<size_t>(count)) {
    return Corrupt("tensor '" + t->name + "' holds " + std::to_string(stored) + " values for " +
                   std::to_string(count) + " elements");
  }
  return Status::Ok();
}

Status ReadAttribute(WireReader r, Attribute* a) {
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    FACET_RETURN_IF_ERROR(r.Key(&field, &wire));
    switch (field) {
      case 1:
        FACET_RETURN_IF_ERROR(ReadString(r, wire, &a->name));
        break;
      case 2: {
        if (wire != kFixed32) return Corrupt("attribute f wire type");
        uint32_t bits = 0;
        FACET_RETURN_IF_ERROR(r.Fixed32(&bits));
        a->f = std::bit_cast<float>(bits);
        break;
      }
      case 3: {
        if (wire != kVarint) return Corrupt("attribute i wire type");
        uint64_t v = 0;
        FACET_RETURN_IF_ERROR(r.Varint(&v));
        a->i = AsSigned(v);
        break;
      }
      case 4:
        FACET_RETURN_IF_ERROR(ReadString(r, wire, &a->s));
        break;
      case 5: {
        WireReader sub(nullptr, 0);
        FACET_RETURN_IF_ERROR(ReadSubmessage(r, wire, &sub));
        a->t.emplace_back();
        FACET_RETURN_IF_ERROR(ReadTensor(sub, &a->t.back()));
        break;
      }
      case 7:
        FACET_RETURN_IF_ERROR(ReadFloats(r, wire, &a->floats));
        break;
      case 8:
        FACET_RETURN_IF_ERROR(ReadInts(r, wire, &a->ints));
        break;
      case 20: {
        if (wire != kVarint) return Corrupt("attribute type wire type");
        uint64_t v = 0;
        FACET_RETURN_IF_ERROR(r.Varint(&v));
        a->type = static_cast<int32_t>(v);
        break;
      }
      default:
        FACET_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return Status::Ok();
}

Status ReadNode(WireReader r, Node* n) {
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    FACET_RETURN_IF_ERROR(r.Key(&field, &wire));
    switch (field) {
      case 1:
        FACET_RETURN_IF_ERROR(ReadString(r, wire, &n->inputs.emplace_back()));
        break;
      case 2:
        FACET_RETURN_IF_ERROR(ReadString(r, wire, &n->outputs.emplace_back()));
        break;
      case 3:
        FACET_RETURN_IF_ERROR(ReadString(r, wire, &n->name));
        break;
      case 4:
        FACET_RETURN_IF_ERROR(ReadString(r, wire, &n->op_type));
        break;
      case 5: {
        WireReader sub(nullptr, 0);
        FACET_RETURN_IF_ERROR(ReadSubmessage(r, wire, &sub));
        FACET_RETURN_IF_ERROR(ReadAttribute(sub, &n->attributes.emplace_back()));
        break;
      }
      case 7:
        FACET_RETURN_IF_ERROR(ReadString(r, wire, &n->domain));
        break;
      default:
        FACET_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return Status::Ok();
}

// TypeProto.tensor_type.shape of a ValueInfoProto.
Status ReadValueInfo(WireReader r, ValueInfo* v) {
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    FACET_RETURN_IF_ERROR(r.Key(&field, &wire));
    if (field == 1) {
      FACET_RETURN_IF_ERROR(ReadString(r, wire, &v->name));
    } else if (field == 2) {  // TypeProto
      WireReader type(nullptr, 0);
      FACET_RETURN_IF_ERROR(ReadSubmessage(r, wire, &type));
      while (!type.done()) {
        uint32_t tf = 0, tw = 0;
        FACET_RETURN_IF_ERROR(type.Key(&tf, &tw));
        if (tf != 1) {  // only tensor_type
          FACET_RETURN_IF_ERROR(type.Skip(tw));
          continue;
        }
        WireReader tensor(nullptr, 0);
        FACET_RETURN_IF_ERROR(ReadSubmessage(type, tw, &tensor));
        while (!tensor.done()) {
          uint32_t xf = 0, xw = 0;
          FACET_RETURN_IF_ERROR(tensor.Key(&xf, &xw));
          if (xf == 1 && xw == kVarint) {
            uint64_t e = 0;
            FACET_RETURN_IF_ERROR(tensor.Varint(&e));
            v->elem_type = static_cast<int32_t>(e);
          } else if (xf == 2) {  // TensorShapeProto
            WireReader shape(nullptr, 0);
            FACET_RETURN_IF_ERROR(ReadSubmessage(tensor, xw, &shape));
            while (!shape.done()) {
              uint32_t sf = 0, sw = 0;
              FACET_RETURN_IF_ERROR(shape.Key(&sf, &sw));
              if (sf != 1) {
                FACET_RETURN_IF_ERROR(shape.Skip(sw));
                continue;
              }
              WireReader dim(nullptr, 0);
              FACET_RETURN_IF_ERROR(ReadSubmessage(shape, sw, &dim));
              int64_t value = -1;  // dim_param or unset: symbolic
              while (!dim.done()) {
                uint32_t df = 0, dw = 0;
                FACET_RETURN_IF_ERROR(dim.Key(&df, &dw));
                if (df == 1 && dw == kVarint) {
                  uint64_t d = 0;
                  FACET_RETURN_IF_ERROR(dim.Varint(&d));
                  value = AsSigned(d);
                } else {
                  FACET_RETURN_IF_ERROR(dim.Skip(dw));
                }
              }
              v->dims.push_back(value);
            }
          } else {
            FACET_RETURN_IF_ERROR(tensor.Skip(xw));
          }
        }
      }
    } else {
      FACET_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return Status::Ok();
}

Status ReadGraph(WireReader r, Model* m) {
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    FACET_RETURN_IF_ERROR(r.Key(&field, &wire));
    WireReader sub(nullptr, 0);
    switch (field) {
      case 1:
        FACET_RETURN_IF_ERROR(ReadSubmessage(r, wire, &sub));
        FACET_RETURN_IF_ERROR(ReadNode(sub, &m->nodes.emplace_back()));
        break;
      case 5:
        FACET_RETURN_IF_ERROR(ReadSubmessage(r, wire, &sub));
        FACET_RETURN_IF_ERROR(ReadTensor(sub, &m->initializers.emplace_back()));
        break;
      case 11:
        FACET_RETURN_IF_ERROR(ReadSubmessage(r, wire, &sub));
        FACET_RETURN_IF_ERROR(ReadValueInfo(sub, &m->inputs.emplace_back()));
        break;
      case 12:
        FACET_RETURN_IF_ERROR(ReadSubmessage(r, wire, &sub));
        FACET_RETURN_IF_ERROR(ReadValueInfo(sub, &m->outputs.emplace_back()));
        break;
      default:
        FACET_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  return Status::Ok();
}

}  // namespace

int64_t Tensor::element_count() const {
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  return count;
}

const Attribute* Node::Find(const std::string& attribute_name) const {
  for (const Attribute& a : attributes) {
    if (a.name == attribute_name) return &a;
  }
  return nullptr;
}

int64_t Node::Int(const std::string& attribute_name, int64_t default_value) const {
  const Attribute* a = Find(attribute_name);
  return a != nullptr ? a->i : default_value;
}

float Node::Float(const std::string& attribute_name, float default_value) const {
  const Attribute* a = Find(attribute_name);
  return a != nullptr ? a->f : default_value;
}

std::vector<int64_t> Node::Ints(const std::string& attribute_name,
                                const std::vector<int64_t>& default_value) const {
  const Attribute* a = Find(attribute_name);
  return a != nullptr ? a->ints : default_value;
}

Result<Model> Parse(const uint8_t* data, size_t size) {
  if (data == nullptr || size == 0) return Corrupt("empty model");
  Model m;
  bool has_graph = false;
  WireReader r(data, size);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    FACET_RETURN_IF_ERROR(r.Key(&field, &wire));
    WireReader sub(nullptr, 0);
    if (field == 1 && wire == kVarint) {
      uint64_t v = 0;
      FACET_RETURN_IF_ERROR(r.Varint(&v));
      m.ir_version = AsSigned(v);
    } else if (field == 2) {
      FACET_RETURN_IF_ERROR(ReadString(r, wire, &m.producer));
    } else if (field == 7) {
      if (has_graph) return Corrupt("more than one graph");
      FACET_RETURN_IF_ERROR(ReadSubmessage(r, wire, &sub));
      FACET_RETURN_IF_ERROR(ReadGraph(sub, &m));
      has_graph = true;
    } else if (field == 8) {  // OperatorSetIdProto
      FACET_RETURN_IF_ERROR(ReadSubmessage(r, wire, &sub));
      std::string domain;
      int64_t version = 0;
      while (!sub.done()) {
        uint32_t f = 0, w = 0;
        FACET_RETURN_IF_ERROR(sub.Key(&f, &w));
        if (f == 1) {
          FACET_RETURN_IF_ERROR(ReadString(sub, w, &domain));
        } else if (f == 2 && w == kVarint) {
          uint64_t v = 0;
          FACET_RETURN_IF_ERROR(sub.Varint(&v));
          version = AsSigned(v);
        } else {
          FACET_RETURN_IF_ERROR(sub.Skip(w));
        }
      }
      if (domain.empty() || domain == "ai.onnx") m.opset = version;
    } else {
      FACET_RETURN_IF_ERROR(r.Skip(wire));
    }
  }
  if (!has_graph) return Corrupt("no graph");
  if (m.ir_version <= 0) return Corrupt("no ir_version (not an ONNX model?)");
  if (m.nodes.empty()) return Corrupt("graph has no nodes");
  // Exporters may list initializers among the inputs; keep the real inputs only.
  std::erase_if(m.inputs, [&](const ValueInfo& v) {
    for (const Tensor& t : m.initializers) {
      if (t.name == v.name) return true;
    }
    return false;
  });
  if (m.inputs.empty() || m.outputs.empty()) return Corrupt("graph has no inputs or outputs");
  return m;
}

}  // namespace facet::nn::onnx

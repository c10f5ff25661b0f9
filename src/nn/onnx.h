// A reader of the ONNX subset facet's models use, written against the protobuf wire format
// (https://protobuf.dev/programming-guides/encoding/) and onnx.proto: no protobuf library, no
// generated code. It reads ModelProto -> GraphProto (nodes, initializers, inputs, outputs),
// NodeProto (op_type, inputs, outputs, attributes), AttributeProto (float, int, string, tensor,
// floats, ints), TensorProto (dims, data_type, raw_data / float_data / int32_data / int64_data)
// and ValueInfoProto tensor shapes. Everything else (doc strings, metadata, sub-graphs, sparse
// tensors) is skipped by wire type. Tensors stored outside the file are an error.
//
// Every read is bounds-checked: a truncated or malformed file is kCorruptData, never a crash
// (the fuzz-style test in onnx_test.cc feeds every prefix and byte flips of a real model).
// The result is a plain value, immutable after parsing and safe to share across threads.
#ifndef FACET_SRC_NN_ONNX_H_
#define FACET_SRC_NN_ONNX_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "facet/status.h"

namespace facet::nn::onnx {

// TensorProto.DataType values facet reads.
enum DataType : int32_t { kFloat = 1, kInt32 = 6, kInt64 = 7 };

struct Tensor {
  std::string name;
  std::vector<int64_t> dims;
  int32_t data_type = 0;
  std::vector<float> floats;   // kFloat
  std::vector<int64_t> ints;   // kInt32, kInt64 (widened)

  int64_t element_count() const;
};

struct Attribute {
  std::string name;
  int32_t type = 0;  // AttributeProto.AttributeType: 1 float, 2 int, 3 string, 4 tensor, 6 floats, 7 ints
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<Tensor> t;  // at most one (a vector keeps Attribute copyable and small)
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<Attribute> attributes;

  const Attribute* Find(const std::string& attribute_name) const;
  int64_t Int(const std::string& attribute_name, int64_t default_value) const;
  float Float(const std::string& attribute_name, float default_value) const;
  // The ints of `attribute_name`, or `default_value` when absent.
  std::vector<int64_t> Ints(const std::string& attribute_name,
                            const std::vector<int64_t>& default_value = {}) const;
};

// A graph input or output. dims: -1 for a symbolic dimension (e.g. "N").
struct ValueInfo {
  std::string name;
  int32_t elem_type = 0;
  std::vector<int64_t> dims;
};

struct Model {
  int64_t ir_version = 0;
  int64_t opset = 0;  // version of the default ("" or "ai.onnx") domain
  std::string producer;
  std::vector<Node> nodes;
  std::vector<Tensor> initializers;
  std::vector<ValueInfo> inputs;   // without the initializers some exporters also list
  std::vector<ValueInfo> outputs;
};

// Parses a serialized ModelProto. kCorruptData with the reason on any malformed input.
Result<Model> Parse(const uint8_t* data, size_t size);

}  // namespace facet::nn::onnx

#endif  // FACET_SRC_NN_ONNX_H_

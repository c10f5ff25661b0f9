// Little-endian byte writer/reader for the index serialisation and snapshot files.
#ifndef FACET_SRC_INDEX_BYTES_H_
#define FACET_SRC_INDEX_BYTES_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace facet::index {

static_assert(std::endian::native == std::endian::little, "facet's file formats assume little-endian");

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>* out) : out_(out) {}
  template <typename T>
  void Put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const uint8_t*>(&value);
    out_->insert(out_->end(), p, p + sizeof(T));
  }
  template <typename T>
  void PutArray(std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const uint8_t*>(values.data());
    out_->insert(out_->end(), p, p + values.size_bytes());
  }
  void PutString(const std::string& s) {
    Put<uint32_t>(static_cast<uint32_t>(s.size()));
    out_->insert(out_->end(), s.begin(), s.end());
  }

 private:
  std::vector<uint8_t>* out_;
};

// Every Get fails (returns false) once the input is exhausted; the reader then stays failed.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}
  template <typename T>
  bool Get(T* value) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!Take(sizeof(T))) return false;
    std::memcpy(value, in_.data() + pos_ - sizeof(T), sizeof(T));
    return true;
  }
  template <typename T>
  bool GetArray(size_t count, std::vector<T>* values) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (count > (in_.size() - pos_) / sizeof(T) || !Take(count * sizeof(T))) return false;
    values->resize(count);
    if (count > 0) std::memcpy(values->data(), in_.data() + pos_ - count * sizeof(T), count * sizeof(T));
    return true;
  }
  bool GetString(std::string* s, size_t max_size = 1 << 20) {
    uint32_t size = 0;
    if (!Get(&size) || size > max_size || !Take(size)) return false;
    s->assign(reinterpret_cast<const char*>(in_.data() + pos_ - size), size);
    return true;
  }
  bool Skip(size_t n) { return Take(n); }
  std::span<const uint8_t> Rest() const { return in_.subspan(pos_); }
  bool AtEnd() const { return pos_ == in_.size(); }

 private:
  bool Take(size_t n) {
    if (failed_ || n > in_.size() - pos_) {
      failed_ = true;
      return false;
    }
    pos_ += n;
    return true;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace facet::index

#endif  // FACET_SRC_INDEX_BYTES_H_

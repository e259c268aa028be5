// Incremental SHA-256 (OpenSSL's libcrypto, which uses the CPU's SHA
// instructions) and digest strings of the form "sha256:<64 hex>".
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace skiff {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  /// The lowercase hex digest; the object can't be updated afterwards.
  std::string hex_digest();
  /// "sha256:" + hex_digest().
  std::string digest() { return "sha256:" + hex_digest(); }

 private:
  struct State;
  struct Free {
    void operator()(State* state) const;
  };
  std::unique_ptr<State, Free> state_;
};

/// "sha256:<hex>" of `data`.
std::string sha256_digest(std::string_view data);

/// True for "sha256:" followed by exactly 64 lowercase hex digits.
bool is_sha256_digest(std::string_view digest);

/// True for exactly 64 lowercase hex digits.
bool is_sha256_hex(std::string_view hex);

}  // namespace skiff

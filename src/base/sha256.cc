// libcrypto's SHA256_* functions, not EVP: the same assembly, without
// OpenSSL 3's library initialisation (configuration, providers, algorithm
// tables), which costs ~1.5 ms, a tenth of a container's start.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "base/sha256.h"

#include <openssl/sha.h>

namespace skiff {

struct Sha256::State {
  SHA256_CTX ctx;
};

void Sha256::Free::operator()(State* state) const { delete state; }

Sha256::Sha256() : state_(new State) { SHA256_Init(&state_->ctx); }

void Sha256::update(const void* data, size_t size) { SHA256_Update(&state_->ctx, data, size); }

std::string Sha256::hex_digest() {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_Final(md, &state_->ctx);
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof md);
  for (unsigned char byte : md) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

std::string sha256_digest(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.digest();
}

bool is_sha256_hex(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_sha256_digest(std::string_view digest) {
  return digest.substr(0, 7) == "sha256:" && is_sha256_hex(digest.substr(7));
}

}  // namespace skiff

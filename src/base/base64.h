// Base64 (RFC 4648, the standard alphabet with padding): the "auth" field of
// docker's and podman's credential files and HTTP basic authentication.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff {

/// Encodes `data` with padding.
std::string base64_encode(std::string_view data);

/// Decodes padded or unpadded base64; nullopt when `text` holds anything
/// else (whitespace included) or a malformed tail.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace skiff

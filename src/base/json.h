// JSON glue: nlohmann's ordered_json (so output keeps Docker's key order),
// with its exceptions turned into Results at this boundary.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace skiff {

using Json = nlohmann::ordered_json;

/// Parses `text`; `what` names the document in the error ("image record `x`").
Result<Json> parse_json(std::string_view text, std::string_view what);

/// nlohmann's message for `e` without its "[json.exception.parse_error.101] " tag.
std::string json_error_text(const std::exception& e);

/// Reads and parses a JSON file of at most `max_size` bytes.
Result<Json> read_json_file(const std::string& path, size_t max_size = 16 << 20);

/// Writes `value` to `path` atomically (temp + fsync + rename + fsync dir).
Status write_json_atomically(const std::string& path, const Json& value);

/// Like write_json_atomically, without the fsyncs (base/fs.h write_file_quickly).
Status write_json_quickly(const std::string& path, const Json& value);
/// The strings of a JSON array (other elements skipped); empty for a non-array.
std::vector<std::string> json_strings(const Json& value);
/// Serialises like Docker's `json` template function and API: compact,
/// UTF-8 kept, invalid UTF-8 replaced rather than thrown.
std::string to_compact_json(const Json& value);

/// Docker's inspect layout: 4-space indent.
std::string to_pretty_json(const Json& value);

}  // namespace skiff

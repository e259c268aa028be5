#include "base/json.h"

#include "base/fs.h"

namespace skiff {

Result<Json> parse_json(std::string_view text, std::string_view what) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    return make_error("parse {}: {}", what, json_error_text(e));
  }
}

std::string json_error_text(const std::exception& e) {
  std::string message = e.what();
  if (auto close = message.find("] "); message.rfind("[json.", 0) == 0 && close != std::string::npos)
    message = message.substr(close + 2);
  return message;
}

Result<Json> read_json_file(const std::string& path, size_t max_size) {
  std::string text = TRY(read_file(path, max_size));
  return parse_json(text, fmt::format("`{}`", path));
}

Status write_json_atomically(const std::string& path, const Json& value) {
  return write_file_atomically(path, to_compact_json(value) + "\n");
}

Status write_json_quickly(const std::string& path, const Json& value) {
  return write_file_quickly(path, to_compact_json(value) + "\n");
}

std::vector<std::string> json_strings(const Json& value) {
  std::vector<std::string> out;
  if (value.is_array())
    for (const auto& v : value)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string to_compact_json(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string to_pretty_json(const Json& value) {
  return value.dump(4, ' ', false, Json::error_handler_t::replace);
}

}  // namespace skiff

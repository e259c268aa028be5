#include "image/blob_sources.h"

#include "base/fs.h"
#include "base/json.h"
#include "base/sha256.h"

#include <algorithm>

namespace skiff {

namespace {
constexpr size_t kMaxSources = 16;
constexpr const char* kFile = "/blob-sources.json";
}  // namespace

std::vector<BlobSource> read_blob_sources(const Store& store, const std::string& chain_id) {
  std::vector<BlobSource> out;
  auto text = read_file(store.layer_dir(chain_id) + kFile, 1 << 20);
  if (!text.ok()) return out;
  auto json = parse_json(*text, "blob sources");
  if (!json.ok() || !json->is_array()) return out;
  for (const auto& entry : *json) {
    if (!entry.is_object()) continue;
    BlobSource s{.digest = entry.value("digest", ""),
                 .media_type = entry.value("mediaType", ""),
                 .size = entry.value("size", int64_t(-1)),
                 .registry = entry.value("registry", ""),
                 .repository = entry.value("repository", "")};
    if (is_sha256_digest(s.digest) && s.size >= 0 && !s.registry.empty() && !s.repository.empty())
      out.push_back(std::move(s));
  }
  return out;
}

void remember_blob_sources(const Store& store, const std::string& chain_id,
                           const std::vector<BlobSource>& sources) {
  std::vector<BlobSource> all = sources;
  for (auto& old : read_blob_sources(store, chain_id)) all.push_back(std::move(old));
  Json list = Json::array();
  std::vector<std::pair<std::string, std::string>> seen;  // (digest, registry/repository)
  for (const auto& s : all) {
    std::pair<std::string, std::string> key{s.digest, s.registry + "/" + s.repository};
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    list.push_back(Json{{"digest", s.digest},
                        {"mediaType", s.media_type},
                        {"size", s.size},
                        {"registry", s.registry},
                        {"repository", s.repository}});
    if (list.size() == kMaxSources) break;
  }
  std::string dir = store.layer_dir(chain_id);
  if (path_exists(dir + "/layer.json")) (void)write_file_quickly(dir + kFile, to_compact_json(list), 0600);
}

}  // namespace skiff

#include "image/image_store.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "base/fs.h"
#include "base/output.h"
#include "base/sha256.h"
#include "image/reference.h"

namespace skiff {

Json ImageRecord::to_json() const {
  Json json{{"id", id},
            {"names", names},
            {"digests", digests},
            {"manifest_digest", manifest_digest},
            {"layers", layers},
            {"size", size},
            {"created", created},
            {"last_tag_time", last_tag_time}};
  if (!parent.empty()) json["parent"] = parent;
  if (build_step) json["build_step"] = true;
  return json;
}

Result<ImageRecord> ImageRecord::from_json(const Json& json) {
  try {
    ImageRecord r;
    r.id = json.at("id").get<std::string>();
    r.names = json.value("names", std::vector<std::string>{});
    r.digests = json.value("digests", std::vector<std::string>{});
    r.manifest_digest = json.value("manifest_digest", "");
    r.layers = json.value("layers", std::vector<std::string>{});
    r.size = json.value("size", uint64_t(0));
    r.created = json.value("created", "");
    r.last_tag_time = json.value("last_tag_time", "");
    r.parent = json.value("parent", "");
    r.build_step = json.value("build_step", false);
    if (!is_sha256_digest(r.id)) return make_error("malformed image record: bad id `{}`", r.id);
    return r;
  } catch (const Json::exception& e) {
    return make_error("malformed image record: {}", e.what());
  }
}

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  time_t secs = ns / 1000000000;
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:09d}Z", buf, ns % 1000000000);
}

Result<ImageRecord> load_image(const Store& store, const std::string& id) {
  Json json = TRY(read_json_file(store.image_path(id)));
  return ImageRecord::from_json(json);
}

Result<std::vector<ImageRecord>> list_images(const Store& store) {
  std::vector<ImageRecord> out;
  DIR* dir = ::opendir(store.images_dir().c_str());
  if (!dir) return errno_error("list images in `{}`", store.images_dir());
  while (struct dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name.size() != 64 + 5 || name.substr(64) != ".json" || !is_sha256_hex(name.substr(0, 64))) continue;
    auto record = load_image(store, "sha256:" + name.substr(0, 64));
    if (!record.ok()) {
      warn("skipping image record `{}`: {}", name, record.error().text());
      continue;
    }
    out.push_back(std::move(*record));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const ImageRecord& a, const ImageRecord& b) {
    return a.created != b.created ? a.created > b.created : a.id < b.id;
  });
  return out;
}

Result<ImageRecord> find_image(const Store& store, std::string_view text) {
  // A full ID first: "sha256:<hex>" or 64 hex digits.
  std::string full = std::string(text.substr(0, 7) == "sha256:" ? text.substr(7) : text);
  if (is_sha256_hex(full)) {
    if (auto record = load_image(store, "sha256:" + full); record.ok()) return record;
  }
  std::vector<ImageRecord> images = TRY(list_images(store));
  // Then a name, as docker: "busybox" means docker.io/library/busybox:latest.
  if (auto ref = ImageReference::parse_with_default_tag(text); ref.ok()) {
    std::string want = ref->string();
    bool by_digest = !ref->digest.empty();
    for (const auto& image : images) {
      if (by_digest) {
        std::string bare = ref->name() + "@" + ref->digest;
        if (std::find(image.digests.begin(), image.digests.end(), bare) != image.digests.end()) return image;
        if (ref->tag.empty() && image.id == ref->digest) return image;
      } else if (std::find(image.names.begin(), image.names.end(), want) != image.names.end()) {
        return image;
      }
    }
  }
  // Last, a unique ID prefix.
  if (looks_like_image_id(text)) {
    std::string prefix = std::string(text.substr(0, 7) == "sha256:" ? text.substr(7) : text);
    const ImageRecord* match = nullptr;
    for (const auto& image : images) {
      if (digest_hex(image.id).rfind(prefix, 0) != 0) continue;
      if (match && match->id != image.id)
        return make_error("image ID prefix `{}` is ambiguous: it matches more than one image", text);
      match = &image;
    }
    if (match) return *match;
  }
  return Error(0, fmt::format("No such image: {}", text));
}

Status save_image(const Store& store, const ImageRecord& record) {
  std::vector<ImageRecord> images = TRY(list_images(store));
  for (auto& other : images) {
    if (other.id == record.id) continue;
    auto taken = [&](const std::string& name) {
      return std::find(record.names.begin(), record.names.end(), name) != record.names.end();
    };
    size_t before = other.names.size();
    other.names.erase(std::remove_if(other.names.begin(), other.names.end(), taken), other.names.end());
    if (other.names.size() != before) TRY(write_json_atomically(store.image_path(other.id), other.to_json()));
  }
  return write_json_atomically(store.image_path(record.id), record.to_json());
}

Status delete_image_record(const Store& store, const std::string& id) {
  std::string path = store.image_path(id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("remove `{}`", path);
  return sync_directory(store.images_dir());
}

Result<Json> load_image_config(const Store& store, const ImageRecord& record) {
  std::string blob = TRY(std::move(store.read_blob(record.id)).wrap("read config of image {}", record.id));
  return parse_json(blob, fmt::format("config of image {}", record.id));
}

}  // namespace skiff

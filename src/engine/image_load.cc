// skiff load: a docker-archive or an OCI layout tar into the store.
//
// The archive is read as a stream (stdin can't seek), and its members come
// in whatever order its writer chose: docker and skopeo put the layers
// first and manifest.json or index.json last; skiff's own save puts the
// metadata first. So each member is handled by what is known when it comes:
//   - a layer the plan (the images, their configs and layers, made from
//     the metadata) needs: streamed into its extractors as it is read;
//   - a small JSON document: kept in memory (64 MiB at most in all), since
//     it may be a config or manifest that later metadata names;
//   - anything else before the plan exists: read again in a second pass
//     over a file, or, from a pipe, spooled to an unlinked file in the store.
// A gzip or zstd archive (or a pipe, which may be one) is inflated by a
// child process and read as a pipe. Memory stays bounded whatever the
// archive holds. Every layer's content is checked against its config's
// diff ID (and in an OCI layout every blob against its descriptor) before
// anything is committed; extracted layers wait under layers/.tmp-* and
// vanish with their PendingLayer on failure.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "base/fs.h"
#include "base/sha256.h"
#include "engine/image_archive.h"
#include "engine/images.h"
#include "image/archive_manifest.h"
#include "image/image_config.h"
#include "image/image_store.h"
#include "image/inflating_pipe.h"
#include "image/layer_store.h"
#include "image/manifest.h"
#include "image/spool_file.h"

namespace skiff {

namespace {

constexpr size_t kMaxMembers = 100000;
// JSON documents kept before the metadata that names them is complete.
constexpr size_t kMaxKeptBytes = 64 << 20;
// Members up to this size are read whole to see whether they are JSON.
constexpr size_t kMaxDocumentSize = kMaxConfigSize;
constexpr size_t kBlock = 1 << 20;
// Links followed from a name to a member, at most.
constexpr int kMaxLinkDepth = 8;

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// One pass over the tar read from a descriptor. libarchive seeks past the
// data of members that are skipped when the descriptor is a file.
class TarReader {
 public:
  static Result<TarReader> open(int fd) {
    TarReader r;
    r.a_.reset(archive_read_new());
    archive_read_support_format_tar(r.a_.get());
    archive_read_support_format_empty(r.a_.get());
    archive_read_support_filter_none(r.a_.get());
    if (archive_read_open_fd(r.a_.get(), fd, kBlock) != ARCHIVE_OK) return r.not_tar();
    return r;
  }

  struct Entry {
    std::string raw_path;
    std::optional<std::string> path;  // normalised; nullopt when it has `..`
    mode_t type = 0;
    int64_t size = 0;
    std::string link;  // a symbolic or hard link's target
  };

  // The next member's header; nullopt at the end of the archive.
  Result<std::optional<Entry>> next() {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a_.get(), &e);
    if (r == ARCHIVE_EOF) {
      if (count_ == 0) return make_error("the archive is empty");
      return std::optional<Entry>();
    }
    if (r < ARCHIVE_WARN) return count_ == 0 ? not_tar() : error();
    ++count_;
    Entry entry;
    const char* name = archive_entry_pathname(e);
    entry.raw_path = name ? name : "";
    entry.path = normalize_member(entry.raw_path);
    entry.type = archive_entry_filetype(e);
    entry.size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (const char* hard = archive_entry_hardlink(e)) {
      entry.type = AE_IFLNK;
      entry.link = hard;
      hardlink_ = true;
    } else {
      hardlink_ = false;
      if (const char* soft = archive_entry_symlink(e)) entry.link = soft;
    }
    return std::optional<Entry>(std::move(entry));
  }
  bool hardlink() const { return hardlink_; }

  // The current member's bytes, holes of a sparse member as zeros.
  Status read_into(ByteSink& sink) {
    const void* buf;
    size_t size;
    la_int64_t offset;
    int64_t at = 0;
    static const uint8_t kZeros[4096] = {};
    for (;;) {
      int r = archive_read_data_block(a_.get(), &buf, &size, &offset);
      if (r == ARCHIVE_EOF) return {};
      if (r < ARCHIVE_WARN) return error();
      for (; at < offset; at += std::min<int64_t>(offset - at, sizeof kZeros))
        TRY(sink.write({kZeros, size_t(std::min<int64_t>(offset - at, sizeof kZeros))}));
      TRY(sink.write({static_cast<const uint8_t*>(buf), size}));
      at = offset + int64_t(size);
    }
  }

  Status skip() {
    if (archive_read_data_skip(a_.get()) < ARCHIVE_WARN) return error();
    return {};
  }

 private:
  std::string why() {
    const char* text = archive_error_string(a_.get());
    return text ? text : "unreadable data";
  }
  Error error() { return make_error("{}", why()); }
  Error not_tar() { return make_error("not a tar archive ({})", why()); }
  std::unique_ptr<struct archive, ArchiveFree> a_;
  size_t count_ = 0;
  bool hardlink_ = false;
};

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class StringSink : public ByteSink {
 public:
  StringSink(std::string& out, size_t max) : out_(out), max_(max) {}
  Status write(std::span<const uint8_t> data) override {
    if (out_.size() + data.size() > max_) return make_error("larger than {} bytes", max_);
    out_.append(reinterpret_cast<const char*>(data.data()), data.size());
    return {};
  }
  Status finish() override { return {}; }

 private:
  std::string& out_;
  size_t max_;
};

class DiscardSink : public ByteSink {
 public:
  Status write(std::span<const uint8_t>) override { return {}; }
  Status finish() override { return {}; }
};

// Writes every byte to each of several sinks.
class TeeSink : public ByteSink {
 public:
  explicit TeeSink(std::vector<ByteSink*> sinks) : sinks_(std::move(sinks)) {}
  Status write(std::span<const uint8_t> data) override {
    for (ByteSink* s : sinks_) TRY(s->write(data));
    return {};
  }
  Status finish() override {
    for (ByteSink* s : sinks_) TRY(s->finish());
    return {};
  }

 private:
  std::vector<ByteSink*> sinks_;
};

// The digests of a layer that is not extracted (the store has it): what
// LayerExtraction's pipeline computes, without the extractor.
struct LayerCheck {
  DiscardSink discard;
  DigestingSink uncompressed{discard};
  InflatingSink inflater{uncompressed};
  DigestingSink compressed{inflater};
};

// Where a regular member's bytes are to be had.
struct Member {
  enum class Where { kMemory, kSpool, kArchive, kGone } where;
  std::string data;               // kMemory
  uint64_t offset = 0, size = 0;  // kSpool
};

struct Link {
  std::optional<std::string> target;  // nullopt: it leads outside the archive
  std::string raw;
};

// One layer as metadata names it, and what loading it takes.
struct LayerNeed {
  std::string path;         // the member metadata names (maybe a link)
  std::string diff_id;      // the config's
  std::string blob_digest;  // an OCI layout's descriptor; "" in a docker-archive
  std::vector<std::pair<std::string, std::string>> extract;  // (chain, parent) the store lacks
  bool done = false;
};

struct PlannedImage {
  std::string config;  // its bytes: the image ID is their digest
  std::string id;
  std::string created;
  std::vector<std::string> names;
  struct Layer {
    std::string path, diff_id, blob_digest;
  };
  std::vector<Layer> layers;
};

class Loader {
 public:
  Loader(const Store& store, int fd) : store_(store), fd_(fd) {}
  Result<std::vector<LoadedImage>> run();

 private:
  Status scan();
  Status take(TarReader& reader, const TarReader::Entry& entry);
  Status keep_or_set_aside(TarReader& reader, const std::string& path, const std::string& data, bool whole);
  Status stream(TarReader& reader, const std::string& path);
  Status try_plan(bool at_end);
  Result<bool> extend_docker_plan(bool at_end);
  Result<bool> extend_oci_plan(bool at_end);
  Result<std::optional<std::string>> document(const std::string& name, const std::string& what, size_t max,
                                              bool at_end);
  Result<std::optional<std::string>> blob(const Descriptor& d, size_t max, bool at_end);
  Result<std::string> metadata(const std::string& name) const;
  Status make_needs();
  Result<std::string> resolve(const std::string& path) const;
  Result<std::vector<LayerNeed*>> needs_for(const std::string& member);
  Status feed(const std::string& member, const std::function<Status(ByteSink&)>& read);
  Status check(const LayerNeed& need, const std::string& compressed, const std::string& diff_id) const;
  Status load_remaining_layers();
  Result<std::vector<LoadedImage>> commit();

  const Store& store_;
  int fd_;
  bool seekable_ = false;
  off_t start_ = 0;

  std::map<std::string, Member> members_;
  std::map<std::string, Link> links_;
  size_t kept_bytes_ = 0;
  std::optional<SpoolFile> spool_;
  std::optional<InflatingPipe> inflater_;

  // The plan, made step by step as metadata arrives: which document it
  // comes from, the images built so far, and the next entry to build.
  enum class Format { kNone, kDocker, kOci } format_ = Format::kNone;
  const char* metadata_name_ = "";
  std::vector<DockerArchiveImage> docker_entries_;
  std::vector<OciLayoutEntry> oci_entries_;
  std::vector<PlannedImage> images_;
  size_t next_entry_ = 0;
  bool metadata_changed_ = true;
  bool planned_ = false;
  std::vector<LayerNeed> needs_;

  std::vector<PendingLayer> pending_;
};

Result<std::vector<LoadedImage>> Loader::run() {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return errno_error("stat");
  if (S_ISDIR(st.st_mode)) return make_error("it is a directory: load takes a tar archive");
  start_ = ::lseek(fd_, 0, SEEK_CUR);
  seekable_ = S_ISREG(st.st_mode) && start_ >= 0;
  // A compressed archive, or a pipe that may be one, is read inflated
  // through a pipe of its own: once, as a pipe is.
  if (!seekable_ || starts_compressed(fd_, start_)) {
    inflater_.emplace(TRY(InflatingPipe::start(fd_, "the archive")));
    seekable_ = false;
  }
  collect_garbage_or_warn(store_);
  Status scanned = scan();
  if (inflater_) {
    // Corrupt data shows as a truncated tar: the inflater's error says why.
    if (!scanned.ok()) {
      Status inflated = inflater_->abandon();
      return inflated.ok() ? std::move(scanned).error() : std::move(inflated).error();
    }
    TRY(inflater_->finish());
  }
  TRY(scanned);
  TRY(try_plan(true));
  TRY(load_remaining_layers());
  return commit();
}

Status Loader::scan() {
  TarReader reader = TRY(TarReader::open(inflater_ ? inflater_->fd() : fd_));
  for (;;) {
    auto entry = TRY(reader.next());
    if (!entry) return {};
    if (members_.size() + links_.size() >= kMaxMembers)
      return make_error("the archive has more than {} members", kMaxMembers);
    TRY(take(reader, *entry));
  }
}

Status Loader::take(TarReader& reader, const TarReader::Entry& entry) {
  // A name with `..` is nothing metadata may name: never looked at.
  if (!entry.path) return reader.skip();
  const std::string& path = *entry.path;
  if (entry.type != AE_IFREG && entry.type != AE_IFLNK) return reader.skip();
  if (members_.count(path) || links_.count(path)) return make_error("the archive has `{}` twice", path);
  if (entry.type == AE_IFLNK) {
    links_[path] = {link_target_member(path, entry.link, !reader.hardlink()), entry.link};
    metadata_changed_ = true;
    return reader.skip();
  }
  if (planned_) {
    if (!TRY(needs_for(path)).empty()) return stream(reader, path);
    return keep_or_set_aside(reader, path, {}, false);
  }
  if (path == "manifest.json" || path == "index.json") {
    if (entry.size > int64_t(kMaxManifestSize))
      return make_error("`{}` is larger than {} MiB", path, kMaxManifestSize >> 20);
  }
  if (entry.size <= int64_t(kMaxDocumentSize)) {
    std::string data;
    StringSink sink(data, kMaxDocumentSize);
    TRY(std::move(reader.read_into(sink)).wrap("read `{}`", path));
    size_t first = data.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && (data[first] == '{' || data[first] == '[')) {
      kept_bytes_ += data.size();
      if (kept_bytes_ > kMaxKeptBytes)
        return make_error(
            "the archive has more than {} MiB of JSON documents before its metadata is complete",
            kMaxKeptBytes >> 20);
      members_[path] = Member{Member::Where::kMemory, std::move(data)};
      metadata_changed_ = true;
      return {};
    }
    // Not a document: a layer, perhaps one the plan can now name.
    TRY(try_plan(false));
    if (planned_ && !TRY(needs_for(path)).empty()) {
      members_[path] = Member{seekable_ ? Member::Where::kArchive : Member::Where::kGone, {}};
      return feed(path, [&](ByteSink& sink) { return sink.write(as_bytes(data)); });
    }
    return keep_or_set_aside(reader, path, data, true);
  }
  TRY(try_plan(false));
  if (planned_ && !TRY(needs_for(path)).empty()) return stream(reader, path);
  return keep_or_set_aside(reader, path, {}, false);
}

// A member the plan needs, fed to its layers as it is read. A file can be
// read again should a link to it come later; a pipe can't.
Status Loader::stream(TarReader& reader, const std::string& path) {
  members_[path] = Member{seekable_ ? Member::Where::kArchive : Member::Where::kGone, {}};
  return feed(path,
              [&](ByteSink& sink) { return std::move(reader.read_into(sink)).wrap("read `{}`", path); });
}

// A member nothing needs yet: remembered where it can be read again.
// `whole` says `data` holds all of it already.
Status Loader::keep_or_set_aside(TarReader& reader, const std::string& path, const std::string& data,
                                 bool whole) {
  // Once planned, only a link the plan names and hasn't seen could still
  // lead here.
  bool may_be_needed = !planned_ || std::any_of(needs_.begin(), needs_.end(), [&](const LayerNeed& n) {
    return !n.done && !members_.count(n.path) && !links_.count(n.path);
  });
  if (seekable_ || !may_be_needed) {
    members_[path] = Member{seekable_ ? Member::Where::kArchive : Member::Where::kGone, {}};
    return whole ? Status() : reader.skip();
  }
  if (!spool_) spool_.emplace(TRY(SpoolFile::create(store_)));
  Member m{Member::Where::kSpool, {}, spool_->size(), 0};
  if (whole)
    TRY(spool_->write(as_bytes(data)));
  else
    TRY(std::move(reader.read_into(*spool_)).wrap("read `{}`", path));
  m.size = spool_->size() - m.offset;
  members_[path] = std::move(m);
  return {};
}

Result<std::string> Loader::resolve(const std::string& path) const {
  std::string at = path;
  for (int depth = 0; depth <= kMaxLinkDepth; ++depth) {
    auto link = links_.find(at);
    if (link == links_.end()) return at;
    if (!link->second.target)
      return make_error("`{}` is a link to `{}`, outside the archive", at, link->second.raw);
    at = *link->second.target;
  }
  return make_error("`{}`: too many levels of links", path);
}

// The member `name` as a document kept in memory: nullopt while it may
// still come, an error when it can't be one.
Result<std::optional<std::string>> Loader::document(const std::string& name, const std::string& what,
                                                    size_t max, bool at_end) {
  std::string path = TRY(resolve(name));
  auto it = members_.find(path);
  if (it == members_.end()) {
    if (!at_end) return std::optional<std::string>();
    return make_error("{} `{}` that {} names is not in the archive", what, name, metadata_name_);
  }
  if (it->second.where != Member::Where::kMemory || it->second.data.size() > max)
    return make_error("{} `{}` is not a JSON document of at most {} MiB", what, name, max >> 20);
  return std::optional<std::string>(it->second.data);
}

// manifest.json, index.json, oci-layout: present, and kept as JSON.
Result<std::string> Loader::metadata(const std::string& name) const {
  const Member& m = members_.at(name);
  if (m.where != Member::Where::kMemory) return make_error("`{}` is not JSON", name);
  return m.data;
}

Result<std::optional<std::string>> Loader::blob(const Descriptor& d, size_t max, bool at_end) {
  std::string path = blob_member(d.digest);
  auto text = TRY(document(path, "the blob", max, at_end));
  if (!text) return text;
  if (d.size != 0 && d.size != int64_t(text->size()))
    return make_error("the blob `{}` has {} bytes, but its descriptor says {}", path, text->size(), d.size);
  if (std::string digest = sha256_digest(*text); digest != d.digest)
    return make_error("the blob `{}` has the digest {}", path, digest);
  return text;
}

Result<bool> Loader::extend_docker_plan(bool at_end) {
  if (format_ != Format::kDocker) {
    format_ = Format::kDocker;
    metadata_name_ = "manifest.json";
    docker_entries_ = TRY(parse_docker_archive_manifest(TRY(metadata("manifest.json"))));
    images_.clear();
    next_entry_ = 0;
  }
  for (; next_entry_ < docker_entries_.size(); ++next_entry_) {
    const DockerArchiveImage& entry = docker_entries_[next_entry_];
    auto text = TRY(document(entry.config, "the config", kMaxConfigSize, at_end));
    if (!text) return false;
    Json config = TRY(parse_json(*text, fmt::format("the config `{}`", entry.config)));
    auto diff_ids =
        TRY(std::move(diff_ids_of(config, entry.layers.size())).wrap("the config `{}`", entry.config));
    PlannedImage image{*text, sha256_digest(*text), "", entry.names, {}};
    for (size_t i = 0; i < entry.layers.size(); ++i)
      image.layers.push_back({entry.layers[i], diff_ids[i], ""});
    if (config.contains("created") && config["created"].is_string()) image.created = config["created"];
    images_.push_back(std::move(image));
  }
  return true;
}

Result<bool> Loader::extend_oci_plan(bool at_end) {
  if (format_ != Format::kOci) {
    format_ = Format::kOci;
    metadata_name_ = "index.json";
    if (members_.count("oci-layout")) {
      Json json = TRY(parse_json(TRY(metadata("oci-layout")), "oci-layout"));
      if (!json.is_object() || !json.contains("imageLayoutVersion") ||
          !json["imageLayoutVersion"].is_string() ||
          !json["imageLayoutVersion"].get<std::string>().starts_with("1."))
        return make_error("oci-layout does not name a layout version skiff reads (1.x)");
    }
    oci_entries_ = TRY(parse_oci_layout_index(TRY(metadata("index.json"))));
    images_.clear();
    next_entry_ = 0;
  }
  for (; next_entry_ < oci_entries_.size(); ++next_entry_) {
    const OciLayoutEntry& entry = oci_entries_[next_entry_];
    auto where = [&] { return fmt::format("index.json, entry {}", next_entry_ + 1); };
    auto text = TRY(std::move(blob(entry.descriptor, kMaxManifestSize, at_end)).wrap("{}", where()));
    if (!text) return false;
    if (TRY(std::move(manifest_kind(*text, entry.descriptor.media_type)).wrap("{}", where())) ==
        ManifestKind::kIndex) {
      Descriptor chosen = TRY(std::move(choose_from_index(*text, host_platform())).wrap("{}", where()));
      text = TRY(std::move(blob(chosen, kMaxManifestSize, at_end)).wrap("{}", where()));
      if (!text) return false;
      if (TRY(std::move(manifest_kind(*text, chosen.media_type)).wrap("{}", where())) != ManifestKind::kImage)
        return make_error("{}: the index entry for this platform is not an image manifest", where());
    }
    ImageManifest manifest = TRY(std::move(parse_image_manifest(*text)).wrap("{}", where()));
    auto config_text =
        TRY(std::move(blob(manifest.config, kMaxConfigSize, at_end)).wrap("{}: config", where()));
    if (!config_text) return false;
    std::string config_path = blob_member(manifest.config.digest);
    Json config = TRY(parse_json(*config_text, fmt::format("the config `{}`", config_path)));
    auto diff_ids =
        TRY(std::move(diff_ids_of(config, manifest.layers.size())).wrap("the config `{}`", config_path));
    // Several names of one image are several entries.
    auto same = std::find_if(images_.begin(), images_.end(),
                             [&](const PlannedImage& i) { return i.id == manifest.config.digest; });
    if (same != images_.end()) {
      if (!entry.name.empty() &&
          std::find(same->names.begin(), same->names.end(), entry.name) == same->names.end())
        same->names.push_back(entry.name);
      continue;
    }
    PlannedImage image{*config_text, manifest.config.digest, "", {}, {}};
    if (!entry.name.empty()) image.names.push_back(entry.name);
    for (size_t i = 0; i < manifest.layers.size(); ++i)
      image.layers.push_back(
          {blob_member(manifest.layers[i].digest), diff_ids[i], manifest.layers[i].digest});
    if (config.contains("created") && config["created"].is_string()) image.created = config["created"];
    images_.push_back(std::move(image));
  }
  return true;
}

Status Loader::try_plan(bool at_end) {
  if (planned_ || (!metadata_changed_ && !at_end)) return {};
  metadata_changed_ = false;
  bool complete = false;
  // docker 25 writes both: manifest.json then wins.
  if (members_.count("manifest.json")) {
    complete = TRY(extend_docker_plan(at_end));
  } else if (members_.count("index.json")) {
    complete = TRY(extend_oci_plan(at_end));
  } else if (at_end) {
    return make_error("not a docker-archive or an OCI archive: it has neither manifest.json nor index.json");
  }
  if (!complete) return {};
  TRY(make_needs());
  planned_ = true;
  return {};
}

// Each layer member once, with the chains the store still lacks (each
// chain made once, however many images share it).
Status Loader::make_needs() {
  std::set<std::string> claimed;
  for (const auto& image : images_) {
    std::string parent;
    for (const auto& layer : image.layers) {
      std::string chain = chain_id_of(parent, layer.diff_id);
      auto need = std::find_if(needs_.begin(), needs_.end(),
                               [&](const LayerNeed& n) { return n.path == layer.path; });
      if (need == needs_.end()) {
        needs_.push_back({layer.path, layer.diff_id, layer.blob_digest, {}, false});
        need = needs_.end() - 1;
      } else if (need->diff_id != layer.diff_id) {
        return make_error("{} names `{}` for two different layers ({} and {})", metadata_name_, layer.path,
                          need->diff_id, layer.diff_id);
      }
      if (!claimed.count(chain) && !load_layer(store_, chain).ok()) need->extract.emplace_back(chain, parent);
      claimed.insert(chain);
      parent = chain;
    }
  }
  return {};
}

Result<std::vector<LayerNeed*>> Loader::needs_for(const std::string& member) {
  std::vector<LayerNeed*> out;
  for (auto& need : needs_)
    if (!need.done && TRY(resolve(need.path)) == member) out.push_back(&need);
  return out;
}

Status Loader::check(const LayerNeed& need, const std::string& compressed, const std::string& diff_id) const {
  if (!need.blob_digest.empty() && compressed != need.blob_digest)
    return make_error("the blob `{}` has the digest {}", need.path, compressed);
  if (diff_id != need.diff_id)
    return make_error("the layer `{}` has the content digest {}, but its config says {}", need.path, diff_id,
                      need.diff_id);
  return {};
}

// Reads one member into every layer that needs it: an extractor per chain
// to make, or only the digests when the store has them all.
Status Loader::feed(const std::string& member, const std::function<Status(ByteSink&)>& read) {
  std::vector<LayerNeed*> needs = TRY(needs_for(member));
  struct Job {
    LayerNeed* need;
    LayerExtraction extraction;
  };
  std::vector<Job> jobs;
  std::vector<std::pair<LayerNeed*, std::unique_ptr<LayerCheck>>> checks;
  std::vector<ByteSink*> sinks;
  for (LayerNeed* need : needs) {
    for (const auto& [chain, parent] : need->extract)
      jobs.push_back(
          {need, TRY(std::move(LayerExtraction::start(store_, parent)).wrap("layer `{}`", need->path))});
    if (need->extract.empty()) checks.emplace_back(need, std::make_unique<LayerCheck>());
  }
  for (auto& job : jobs) sinks.push_back(&job.extraction.input());
  for (auto& [need, c] : checks) sinks.push_back(&c->compressed);
  TeeSink tee(std::move(sinks));
  Status fed = read(tee);
  if (fed.ok()) fed = tee.finish();
  for (auto& job : jobs) {
    PendingLayer layer = TRY(std::move(job.extraction.finish(fed)).wrap("layer `{}`", job.need->path));
    TRY(check(*job.need, layer.compressed_digest(), layer.record().diff_id));
    report_extraction(layer.report());
    pending_.push_back(std::move(layer));
  }
  if (!fed.ok()) return std::move(fed).wrap("layer `{}`", member);
  for (auto& [need, c] : checks) TRY(check(*need, c->compressed.digest(), c->uncompressed.digest()));
  for (LayerNeed* need : needs) need->done = true;
  return {};
}

// The layers that came before the plan: from memory, the spool, or a
// second pass over the file.
Status Loader::load_remaining_layers() {
  bool second_pass = false;
  for (const auto& need : needs_) {
    if (need.done) continue;
    std::string member = TRY(resolve(need.path));
    auto it = members_.find(member);
    if (it == members_.end())
      return make_error("the layer `{}` that {} names is not in the archive", need.path, metadata_name_);
    if (it->second.where == Member::Where::kGone)
      return make_error("the layer `{}` links to `{}`, which the archive had before the link", need.path,
                        member);
    second_pass = second_pass || it->second.where == Member::Where::kArchive;
  }
  for (auto& need : needs_) {
    if (need.done) continue;
    std::string member = TRY(resolve(need.path));
    const Member& m = members_.at(member);
    if (m.where == Member::Where::kMemory) {
      TRY(feed(member, [&](ByteSink& sink) { return sink.write(as_bytes(m.data)); }));
    } else if (m.where == Member::Where::kSpool) {
      TRY(feed(member, [&](ByteSink& sink) { return spool_->read_into(m.offset, m.size, sink); }));
    }
  }
  if (!second_pass) return {};
  if (::lseek(fd_, start_, SEEK_SET) != start_) return errno_error("rewind");
  TarReader reader = TRY(TarReader::open(fd_));
  while (std::any_of(needs_.begin(), needs_.end(), [](const LayerNeed& n) { return !n.done; })) {
    auto entry = TRY(std::move(reader.next()).wrap("read the archive again"));
    if (!entry) return make_error("the archive changed while it was read");
    if (!entry->path || entry->type != AE_IFREG || TRY(needs_for(*entry->path)).empty()) {
      TRY(reader.skip());
      continue;
    }
    const std::string& path = *entry->path;
    TRY(feed(path,
             [&](ByteSink& sink) { return std::move(reader.read_into(sink)).wrap("read `{}`", path); }));
  }
  return {};
}

Result<std::vector<LoadedImage>> Loader::commit() {
  for (const auto& image : images_) {
    std::string id = TRY(store_.write_blob(image.config));
    if (id != image.id) return make_error("the config of {} changed while it was stored", image.id);
  }
  std::string now = now_rfc3339();
  std::vector<LoadedImage> out;
  FileLock lock = TRY(store_.lock());
  for (auto& layer : pending_) TRY(layer.commit());
  for (const auto& image : images_) {
    ImageRecord record{.id = image.id,
                       .names = image.names,
                       .digests = {},
                       .manifest_digest = "",
                       .layers = {},
                       .size = 0,
                       .created = image.created.empty() ? now : image.created,
                       .last_tag_time = image.names.empty() ? "" : now, .parent = "", .build_step = false};
    std::string parent;
    for (const auto& layer : image.layers) {
      parent = chain_id_of(parent, layer.diff_id);
      // Present when planned; another command may have removed it since.
      LayerRecord present = TRY(std::move(load_layer(store_, parent)).wrap("image {}", image.id));
      record.layers.push_back(parent);
      record.size += present.size;
    }
    LoadedImage loaded{image.id, image.names, {}};
    for (const auto& name : image.names)
      if (auto owner = find_image(store_, name); owner.ok() && owner->id != image.id)
        loaded.taken.emplace_back(name, owner->id);
    TRY(save_image_keeping_names(store_, record));
    out.push_back(std::move(loaded));
  }
  return out;
}

}  // namespace

Result<std::vector<LoadedImage>> load_images(const Store& store, int fd, const std::string& source) {
  Loader loader(store, fd);
  return std::move(loader.run()).wrap("load `{}`", source);
}

}  // namespace skiff

#include "engine/push.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "base/json.h"
#include "base/sha256.h"
#include "base/trace.h"
#include "engine/image_tars.h"
#include "engine/images.h"
#include "image/blob_sources.h"
#include "image/compress.h"
#include "image/image_store.h"
#include "image/reference.h"
#include "registry/blob_upload.h"
#include "registry/registries_conf.h"
#include "registry/registry_client.h"

namespace skiff {

namespace {

// A blob a layer is known by, and the repositories of the destination
// registry that have it (to mount it from).
struct KnownBlob {
  Descriptor blob;
  std::vector<std::string> repositories;
};

// Counts a layer's tar bytes on their way to the compressor, for progress.
class CountingSink : public ByteSink {
 public:
  CountingSink(ByteSink& next, std::function<void(uint64_t)> on_bytes)
      : next_(next), on_bytes_(std::move(on_bytes)) {}
  Status write(std::span<const uint8_t> data) override {
    bytes_ += data.size();
    on_bytes_(bytes_);
    return next_.write(data);
  }
  Status finish() override { return next_.finish(); }

 private:
  ByteSink& next_;
  std::function<void(uint64_t)> on_bytes_;
  uint64_t bytes_ = 0;
};

// What one push knows and decided, shared by its upload threads.
struct Plan {
  const Store& store;
  std::string domain;  // the destination registry
  std::string repo;    // the repository there
  ManifestFormat format;
  Compression compression;
  int level;
  bool reuse_known;      // look for known blobs before compressing
  Compression required;  // known blobs must be of this compression (kNone: any)
  ImageTars tars;
  std::vector<std::vector<KnownBlob>> known;  // per layer, best first
  PushObserver& observer;
  std::atomic<bool> whole_blobs{false};  // the registry refused chunks: monolithic uploads from now on
  std::atomic<bool> failed{false};
};

// The manifest an image was pulled with (or first pushed with), as stored.
struct StoredManifest {
  std::string text;
  ImageManifest parsed;
};

std::optional<StoredManifest> stored_manifest(const Store& store, const ImageRecord& image) {
  if (image.manifest_digest.empty()) return std::nullopt;
  auto text = store.read_blob(image.manifest_digest, kMaxManifestSize);
  if (!text.ok()) return std::nullopt;
  auto parsed = parse_image_manifest(*text);
  if (!parsed.ok()) return std::nullopt;
  return StoredManifest{std::move(*text), std::move(*parsed)};
}

// The layer's known blobs: those of `stored` (the image's own manifest,
// when its layers are the ones going up; its repositories are those the
// image was pulled from or pushed to, on the destination registry), then
// what earlier pushes remembered.
std::vector<std::vector<KnownBlob>> known_blobs(const Store& store, const ImageRecord& image,
                                                const ImageManifest* stored, const ImageTars& tars,
                                                const std::string& domain) {
  std::vector<std::vector<KnownBlob>> out(tars.layers.size());
  std::vector<std::string> image_repos;
  for (const auto& d : image.digests)
    if (auto ref = ImageReference::parse(d); ref.ok() && ref->domain == domain)
      image_repos.push_back(ref->path);
  if (stored && stored->layers.size() == tars.layers.size())
    for (size_t i = 0; i < tars.layers.size(); ++i) out[i].push_back({stored->layers[i], image_repos});
  for (size_t i = 0; i < tars.layers.size(); ++i) {
    if (tars.layers[i].rebuilt) continue;  // its blobs hold the layer's own tar, not the rebuilt one
    for (const auto& s : read_blob_sources(store, tars.layers[i].chain)) {
      auto it = std::find_if(out[i].begin(), out[i].end(),
                             [&](const KnownBlob& k) { return k.blob.digest == s.digest; });
      if (it == out[i].end()) {
        out[i].push_back(
            {Descriptor{.media_type = s.media_type, .digest = s.digest, .size = s.size, .platform = {}}, {}});
        it = out[i].end() - 1;
      }
      if (s.registry == domain &&
          std::find(it->repositories.begin(), it->repositories.end(), s.repository) == it->repositories.end())
        it->repositories.push_back(s.repository);
    }
  }
  return out;
}

// A known blob the repository has, or mounts from another: its descriptor
// (media type in the push's format) and where it was mounted from.
Result<std::optional<std::pair<Descriptor, std::string>>> reuse_known(RegistryClient& client, Plan& plan,
                                                                      size_t index) {
  for (const auto& k : plan.known[index]) {
    Compression c = layer_compression(k.blob.media_type);
    auto type = layer_media_type(plan.format, c);
    if (!type.ok() || (plan.required != Compression::kNone && c != plan.required)) continue;
    Descriptor blob = k.blob;
    blob.media_type = *type;
    if (TRY(client.has_blob(plan.repo, blob.digest))) return std::optional(std::pair(blob, std::string()));
    for (const auto& from : k.repositories) {
      if (from == plan.repo) continue;
      UploadStart started = TRY(client.start_upload(plan.repo, blob.digest, from));
      if (started.mounted) return std::optional(std::pair(blob, from));
      client.cancel_upload(started.location);
    }
  }
  return std::optional<std::pair<Descriptor, std::string>>();
}

// Compresses layer `index` and uploads it: chunked as it is made, or, for
// a registry that refuses chunks, into a spool file first and up whole.
// A transfer that breaks starts the layer again, up to kBlobAttempts.
Result<Descriptor> upload_layer(RegistryClient& client, Plan& plan, size_t index) {
  const LayerTar& layer = plan.tars.layers[index];
  std::string type = TRY(layer_media_type(plan.format, plan.compression));
  for (int attempt = 1;; ++attempt) {
    auto progress = [&](uint64_t bytes) {
      if (plan.failed) return;
      plan.observer.pushing(index, bytes);
    };
    if (plan.whole_blobs) {
      SpoolFile spool = TRY(SpoolFile::create(plan.store));
      DigestingSink hashed(spool);
      auto compressor = TRY(CompressingSink::create(plan.compression, plan.level, hashed));
      CountingSink counted(*compressor, progress);
      TRY(layer.write(plan.store, counted));
      std::string digest = hashed.digest();
      auto mapped = TRY(spool.map());
      TRY(upload_whole_blob(client, plan.repo, digest, mapped.bytes()));
      return Descriptor{.media_type = type, .digest = digest, .size = int64_t(spool.size()), .platform = {}};
    }
    BlobUploadSink upload(client, plan.repo, upload_chunk_size());
    auto compressor = TRY(CompressingSink::create(plan.compression, plan.level, upload));
    CountingSink counted(*compressor, progress);
    Status sent = layer.write(plan.store, counted);
    if (sent.ok())
      return Descriptor{
          .media_type = type, .digest = upload.digest(), .size = int64_t(upload.size()), .platform = {}};
    if (plan.failed) return make_error("stopped: another layer failed");
    if (upload.failure() == BlobUploadSink::Failure::kChunksRefused) {
      plan.whole_blobs = true;
      continue;
    }
    if (upload.failure() != BlobUploadSink::Failure::kTransient || attempt == RegistryClient::kBlobAttempts)
      return std::move(sent).error();
    plan.observer.retrying(index, sent.error(), attempt + 1);
    std::this_thread::sleep_for(client.retry_delay() * (1 << (attempt - 1)));
  }
}

// The pushed digest and manifest go into the image's record; each layer's
// blob into its blob-sources. Best effort beyond the record itself.
Status remember(const Store& store, const ImageRecord& image, const Plan& plan,
                const std::vector<Descriptor>& blobs, const std::string& manifest, const std::string& digest,
                const ImageReference& dest) {
  // A rebuilt layer's blob is of another tar than the layer's own: never its source.
  for (size_t i = 0; i < blobs.size(); ++i)
    if (!plan.tars.layers[i].rebuilt)
      remember_blob_sources(store, plan.tars.layers[i].chain,
                            {{blobs[i].digest, blobs[i].media_type, blobs[i].size, plan.domain, plan.repo}});
  if (plan.tars.config_digest != image.id) return {};  // what went up is another image (rebuilt layers)
  FileLock lock = TRY(store.lock());
  auto current = load_image(store, image.id);
  if (!current.ok()) return {};  // removed meanwhile: nothing to remember it in
  std::string name = dest.name() + "@" + digest;
  if (std::find(current->digests.begin(), current->digests.end(), name) == current->digests.end())
    current->digests.push_back(name);
  // An image keeps one manifest (removed with it): the pushed one when it had none.
  if (current->manifest_digest.empty()) {
    TRY(store.write_blob(manifest));
    current->manifest_digest = digest;
  }
  return save_image(store, *current);
}

Result<PushResult> push(const Store& store, const PushOptions& options, const ImageRecord& image,
                        const ImageReference& dest) {
  RegistriesConf conf = TRY(load_registries_conf());
  // registries.conf's location and insecure for the destination (mirrors
  // are for pulls): the last of its pull sources.
  PullSource target = TRY(pull_sources(conf, dest)).back();
  auto stored = TRY(find_credentials(target.domain, target.path, options.auth_file));
  RegistryClient client(target.domain, options.verify_tls && !target.insecure,
                        stored ? std::optional(stored->credentials) : std::nullopt);

  RebuiltLayers rebuilt;
  ImageTars tars = TRY(image_tars(store, image, options.image, rebuilt));
  std::optional<StoredManifest> pulled = stored_manifest(store, image);
  std::optional<ManifestFormat> pulled_format;
  if (pulled) pulled_format = manifest_format_of(pulled->parsed.media_type);
  // Its blobs hold the image's layers only when none was rebuilt.
  const ImageManifest* pulled_layers = pulled && tars.config_digest == image.id ? &pulled->parsed : nullptr;
  ManifestFormat format = options.format ? *options.format : pulled_format.value_or(ManifestFormat::kOci);
  Compression compression = options.compression.value_or(Compression::kGzip);
  CompressionLevels levels = compression_levels(compression);
  int level = options.compression_level < 0 ? levels.fallback : options.compression_level;
  if (level < levels.min || level > levels.max)
    return make_error("{} compression levels are {} to {}, not {}", compression_name(compression), levels.min,
                      levels.max, level);
  TRY(layer_media_type(format, compression));  // zstd in docker's format is an error before any upload

  PushObserver quiet;
  Plan plan{.store = store,
            .domain = target.domain,
            .repo = target.path,
            .format = format,
            .compression = compression,
            .level = level,
            .reuse_known = !options.force_compression,
            .required = options.compression.value_or(Compression::kNone),
            .tars = std::move(tars),
            .known = {},
            .observer = options.observer ? *options.observer : quiet};
  if (plan.reuse_known) plan.known = known_blobs(store, image, pulled_layers, plan.tars, target.domain);
  plan.known.resize(plan.tars.layers.size());
  std::vector<std::string> diff_ids;
  std::vector<uint64_t> sizes;
  for (const auto& l : plan.tars.layers) {
    diff_ids.push_back(l.diff_id);
    sizes.push_back(l.size);
  }
  plan.observer.layers(dest.name(), diff_ids, sizes);

  // The first request settles the scheme and the token; the threads copy both.
  bool config_there = TRY(client.has_blob(target.path, plan.tars.config_digest));
  trace("push: config checked");

  std::vector<Descriptor> blobs(plan.tars.layers.size());
  std::atomic<size_t> next{0};
  Error first_failure;
  auto worker = [&, uploader = client]() mutable {
    for (size_t i; (i = next++) < blobs.size();) {
      if (plan.failed) return;
      Result<Descriptor> outcome = make_error("not pushed");
      PushObserver::Outcome how = PushObserver::Outcome::kPushed;
      std::string from;
      auto reused = plan.reuse_known
                        ? reuse_known(uploader, plan, i)
                        : Result<std::optional<std::pair<Descriptor, std::string>>>(std::nullopt);
      if (!reused.ok()) {
        outcome = std::move(reused).error();
      } else if (*reused) {
        outcome = (*reused)->first;
        from = (*reused)->second;
        how = from.empty() ? PushObserver::Outcome::kExists : PushObserver::Outcome::kMounted;
      } else {
        outcome = upload_layer(uploader, plan, i);
      }
      if (!outcome.ok()) {
        if (!plan.failed.exchange(true))
          first_failure = std::move(outcome).error().wrap("layer {}", plan.tars.layers[i].diff_id);
        return;
      }
      blobs[i] = *outcome;
      plan.observer.done(i, how, from);
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 0; t < std::min<size_t>(3, blobs.size()); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (plan.failed) return first_failure;
  trace("push: layers");

  if (!config_there) {
    const std::string& config = plan.tars.config;
    TRY(std::move(upload_whole_blob(client, target.path, plan.tars.config_digest,
                                    {reinterpret_cast<const uint8_t*>(config.data()), config.size()}))
            .wrap("push the image config"));
  }

  // The pulled manifest when every blob is still the one it names (the
  // image keeps its digest), else one made here.
  Descriptor config{.media_type = "",
                    .digest = plan.tars.config_digest,
                    .size = int64_t(plan.tars.config.size()),
                    .platform = {}};
  std::string manifest = make_image_manifest(format, config, blobs);
  if (pulled_layers && pulled_format == format) {
    bool same = pulled_layers->layers.size() == blobs.size();
    for (size_t i = 0; same && i < blobs.size(); ++i)
      same = pulled_layers->layers[i].digest == blobs[i].digest;
    if (same) manifest = pulled->text;
  }
  std::string tag = dest.tag.empty() ? "latest" : dest.tag;
  std::string digest =
      TRY(client.put_manifest(target.path, tag, manifest, std::string(manifest_media_type(format))));
  trace("push: manifest");

  Status remembered = remember(store, image, plan, blobs, manifest, digest, dest);
  (void)remembered;  // the push itself succeeded; a record that changed meanwhile is not its failure
  PushResult result{
      .name = dest.name() + ":" + tag, .tag = tag, .digest = digest, .manifest_size = manifest.size()};
  plan.observer.finished(result);
  return result;
}

}  // namespace

Result<PushResult> push_image(const Store& store, const PushOptions& options) {
  ImageRecord image = TRY(std::move(find_local_image(store, options.image)).wrap("push `{}`", options.image));
  std::string where = options.destination;
  if (where.starts_with("docker://")) where = where.substr(9);
  if (where.empty()) {
    // The image's own name as the user wrote it, or the full name a short
    // one stands for (what the search registries resolved it to).
    auto named = ImageReference::parse_with_default_tag(options.image);
    if (named.ok() && named->digest.empty())
      for (const auto& n : image.names)
        if (auto r = ImageReference::parse(n);
            r.ok() &&
            (n == named->string() || (where.empty() && r->path == named->path && r->tag == named->tag)))
          where = n;
    if (where.empty())
      return make_error(
          "push `{}`: the image has no name to push it to: give a destination, as in "
          "`skiff push {} REGISTRY/REPOSITORY[:TAG]`",
          options.image, options.image);
  }
  ImageReference dest = TRY(std::move(ImageReference::parse_with_default_tag(where))
                                .wrap("push `{}`: invalid destination `{}`", options.image, where));
  if (!dest.digest.empty())
    return make_error("push `{}`: the destination `{}` names a digest: push to a tag", options.image, where);
  return std::move(push(store, options, image, dest)).wrap("push `{}`", where);
}

}  // namespace skiff

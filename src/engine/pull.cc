#include "engine/pull.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

#include "base/fs.h"
#include "base/json.h"
#include "base/trace.h"
#include "engine/images.h"
#include "image/image_config.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "registry/registries_conf.h"
#include "registry/registry_client.h"

namespace skiff {

namespace {

// Where the image comes from: the client of the first source (a mirror, or
// the registry itself) that has the manifest the reference names, the
// repository there, and that manifest.
struct Resolved {
  RegistryClient client;
  std::string repo;
  FetchedManifest top;
};

Result<Resolved> resolve(const PullOptions& options, const RegistriesConf& conf, const ImageReference& ref) {
  std::vector<PullSource> sources = TRY(pull_sources(conf, ref));
  std::optional<Error> failure;
  for (const auto& source : sources) {
    auto stored = TRY(find_credentials(source.domain, source.path));
    RegistryClient client(source.domain, options.verify_tls && !source.insecure,
                          stored ? std::optional(stored->credentials) : std::nullopt);
    // By digest when the reference has one (checked), else by tag.
    auto top = client.get_manifest(source.path, ref.digest.empty() ? ref.tag : ref.digest);
    if (top.ok() && !ref.digest.empty() && top->digest != ref.digest)
      top = make_error("the registry sent a manifest whose digest is {}, not {}", top->digest, ref.digest);
    if (top.ok()) return Resolved{std::move(client), source.path, std::move(*top)};
    // The registry's own failure (it comes last) is the one to report.
    failure = std::move(top).error();
  }
  return *failure;
}

Result<PullResult> pull(const Store& store, const PullOptions& options, const ImageReference& ref, Resolved source) {
  Platform platform = options.platform.empty() ? host_platform() : TRY(parse_platform(options.platform));
  RegistryClient& client = source.client;
  const std::string& repo = source.repo;
  const FetchedManifest& top = source.top;
  FetchedManifest chosen = top;
  if (TRY(manifest_kind(top.body, top.content_type)) == ManifestKind::kIndex) {
    Descriptor entry = TRY(choose_from_index(top.body, platform));
    chosen = TRY(client.get_manifest(repo, entry.digest));
    if (chosen.digest != entry.digest)
      return make_error("the registry sent a manifest whose digest is {}, not {}", chosen.digest, entry.digest);
    if (TRY(manifest_kind(chosen.body, chosen.content_type)) != ManifestKind::kImage)
      return make_error("manifest list entry {} is not an image manifest", entry.digest);
  }
  ImageManifest manifest = TRY(parse_image_manifest(chosen.body));
  trace("manifest");

  std::string config_text = TRY(client.get_blob_text(repo, manifest.config.digest, kMaxConfigSize));
  Json config = TRY(parse_json(config_text, "image config"));
  std::vector<std::string> diff_ids = TRY(diff_ids_of(config, manifest.layers.size()));

  // The layers the store lacks, each with its extractor started now (that
  // forks, so before any thread exists).
  collect_garbage_or_warn(store);
  std::vector<std::string> chain;
  struct Missing {
    size_t index;
    LayerExtraction extraction;
    std::optional<PendingLayer> layer;  // once downloaded and checked
  };
  std::vector<Missing> missing;
  uint64_t size = 0;
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    std::string parent = chain.empty() ? "" : chain.back();
    chain.push_back(chain_id_of(parent, diff_ids[i]));
    if (auto present = load_layer(store, chain.back()); present.ok()) {
      size += present->size;
      continue;
    }
    missing.push_back({i, TRY(std::move(LayerExtraction::start(store, parent))
                                  .wrap("layer {}", manifest.layers[i].digest)),
                       {}});
  }

  PullObserver quiet;
  PullObserver& observer = options.observer ? *options.observer : quiet;
  {
    std::vector<std::string> digests;
    std::vector<uint64_t> sizes;
    std::vector<bool> present(manifest.layers.size(), true);
    for (const auto& layer : manifest.layers) {
      digests.push_back(layer.digest);
      sizes.push_back(layer.size);
    }
    for (const auto& m : missing) present[m.index] = false;
    observer.layers(digests, sizes, present);
  }

  // Downloads, three at a time: each streams through inflate and hashing
  // into its extractor, and is checked against the manifest and the config
  // as soon as its extractor is done. Every thread has its own copy of the
  // client (and the token it already holds). The first failure stops the
  // other transfers: the pull fails anyway.
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  Error first_failure;
  auto fetch_one = [&](RegistryClient& fetcher, Missing& m) -> Result<PendingLayer> {
    const Descriptor& layer = manifest.layers[m.index];
    ByteSink& sink = m.extraction.input();
    uint64_t bytes = 0;
    Status fed = fetcher.get_blob(
        repo, layer.digest,
        [&](std::span<const uint8_t> d) -> Status {
          if (failed) return make_error("stopped: another layer failed");
          bytes += d.size();
          observer.downloaded(m.index, bytes);
          return sink.write(d);
        },
        [&](const Error& why, int attempt) { observer.retrying(m.index, why, attempt); });
    if (fed.ok()) fed = sink.finish();
    PendingLayer extracted = TRY(m.extraction.finish(std::move(fed)));
    if (extracted.compressed_digest() != layer.digest)
      return make_error("the registry sent a blob whose digest is {}", extracted.compressed_digest());
    if (extracted.record().diff_id != diff_ids[m.index])
      return make_error("its content's digest is {}, but the config says {}", extracted.record().diff_id,
                        diff_ids[m.index]);
    return extracted;
  };
  auto worker = [&, client_copy = client]() mutable {
    for (size_t k; (k = next++) < missing.size();) {
      Missing& m = missing[k];
      auto outcome = fetch_one(client_copy, m);
      if (!outcome.ok()) {
        // Only the first failure is kept: the others are transfers it stopped.
        if (!failed.exchange(true))
          first_failure = std::move(outcome).error().wrap("layer {}", manifest.layers[m.index].digest);
        continue;
      }
      m.layer.emplace(std::move(*outcome));
      observer.done(m.index);
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 0; t < std::min<size_t>(3, missing.size()); ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  trace("layers");

  if (failed) return first_failure;
  std::vector<PendingLayer> pending;
  PullResult result;
  for (auto& m : missing) {
    report_extraction(m.layer->report());
    size += m.layer->record().size;
    pending.push_back(std::move(*m.layer));
    ++result.layers_fetched;
  }

  // Visible all at once: the blobs, the layers, then the record.
  std::string id = TRY(store.write_blob(config_text));
  if (id != manifest.config.digest) return make_error("the image config's digest changed while it was stored");
  TRY(store.write_blob(chosen.body));
  ImageReference named = ref;
  named.digest.clear();
  std::string created = now_rfc3339();
  ImageRecord record{.id = id,
                     .names = {},
                     .digests = {named.name() + "@" + top.digest},
                     .manifest_digest = chosen.digest,
                     .layers = chain,
                     .size = size,
                     .created = config.value("created", created),
                     .last_tag_time = "", .parent = "", .build_step = false};
  if (ref.digest.empty()) {
    record.names.push_back(ref.string());
    record.last_tag_time = created;
  }
  FileLock lock = TRY(store.lock());
  result.already_present = load_image(store, id).ok();
  for (auto& layer : pending) TRY(layer.commit());
  TRY(save_image_keeping_names(store, std::move(record)));
  result.id = id;
  result.digest = top.digest;
  result.name = ref.digest.empty() ? ref.string() : named.name() + "@" + ref.digest;
  observer.finished(result);
  return result;
}

}  // namespace

Result<PullResult> pull_image(const Store& store, const PullOptions& options) {
  ImageReference ref = TRY(std::move(ImageReference::parse_docker_ref(options.reference))
                               .wrap("invalid reference `{}`", options.reference));
  RegistriesConf conf = TRY(load_registries_conf());
  // A short name is looked for in each search registry in turn (docker.io
  // alone when registries.conf names none); the first that has it wins.
  std::vector<ImageReference> candidates = is_short_name(options.reference) ? short_name_candidates(conf, ref)
                                                                             : std::vector<ImageReference>{ref};
  std::vector<std::string> misses;
  for (const auto& candidate : candidates) {
    auto source = resolve(options, conf, candidate);
    if (source.ok())
      return std::move(pull(store, options, candidate, std::move(*source))).wrap("pull `{}`", options.reference);
    if (candidates.size() == 1) return std::move(source).error().wrap("pull `{}`", options.reference);
    misses.push_back(source.error().text());
  }
  return make_error("pull `{}`: no search registry has it ({})", options.reference, fmt::join(misses, "; "));
}

}  // namespace skiff

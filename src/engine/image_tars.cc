#include "engine/image_tars.h"

#include "base/json.h"
#include "base/output.h"
#include "base/sha256.h"
#include "image/image_config.h"
#include "image/layer_store.h"
#include "image/layer_tar.h"
#include "image/manifest.h"

namespace skiff {

Status LayerTar::write(const Store& store, ByteSink& sink) const {
  if (!rebuilt) return write_layer_tar(store, chain, sink);
  TRY(rebuilt->read_into(0, size, sink));
  return sink.finish();
}

Result<ImageTars> image_tars(const Store& store, const ImageRecord& image, const std::string& asked_as,
                             RebuiltLayers& rebuilt) {
  auto fail = [&](const Error& e) { return e.wrap("image `{}`", asked_as); };
  auto config_text = store.read_blob(image.id, kMaxConfigSize);
  if (!config_text.ok()) return fail(config_text.error());
  auto config = parse_json(*config_text, "image config");
  if (!config.ok()) return fail(config.error());
  auto diff_ids = diff_ids_of(*config, image.layers.size());
  if (!diff_ids.ok()) return fail(diff_ids.error());

  ImageTars out{.config = *config_text, .config_digest = image.id, .layers = {}};
  bool changed = false;
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const std::string& chain = image.layers[i];
    auto layer = load_layer(store, chain);
    if (!layer.ok()) return fail(layer.error());
    if (layer->diff_id != (*diff_ids)[i])
      return fail(
          make_error("layer {} is {}, but the config says {}", i + 1, layer->diff_id, (*diff_ids)[i]));
    if (has_layer_tar_recipe(store, chain)) {
      out.layers.push_back({chain, layer->diff_id, layer->size, nullptr});
      continue;
    }
    auto [it, first] = rebuilt.try_emplace(chain);
    if (first) {
      auto spool = SpoolFile::create(store);
      if (!spool.ok()) {
        rebuilt.erase(it);
        return fail(spool.error());
      }
      auto file = std::make_shared<SpoolFile>(std::move(*spool));
      DigestingSink hashed(*file);
      Status written =
          write_tree_tar(store.layer_dir(chain) + "/diff", TreeTarOptions{.oci_whiteouts = true, .skip = {}}, hashed);
      if (!written.ok()) {
        rebuilt.erase(it);
        return fail(written.error().wrap("rebuild layer {}", i + 1));
      }
      it->second = {chain, hashed.digest(), file->size(), file};
    }
    changed = changed || it->second.diff_id != layer->diff_id;
    (*config)["rootfs"]["diff_ids"][i] = it->second.diff_id;
    out.layers.push_back(it->second);
  }
  if (changed) {
    out.config = to_compact_json(*config);
    out.config_digest = sha256_digest(out.config);
    warn(
        "image `{}` has layers extracted before skiff kept their original tars: they go out as tars rebuilt "
        "from their files, so the image's ID there is {}, not {}",
        asked_as, out.config_digest, image.id);
  }
  return out;
}

}  // namespace skiff

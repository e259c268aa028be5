// Image configs (the OCI image config / docker's image JSON): making one for
// an imported rootfs, applying `--change` instructions, and the platform
// names docker uses.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace skiff {

struct Platform {
  std::string os = "linux";
  std::string architecture;  ///< docker's names: amd64, arm64, arm, 386, ...
  std::string variant;
  std::string string() const;  ///< "linux/arm/v7"
};

/// This machine's platform, in docker's words.
Platform host_platform();

/// Parses "os/arch[/variant]" or "arch" as docker's --platform.
Result<Platform> parse_platform(std::string_view text);

/// A config for a single-layer image made from a rootfs: rootfs.diff_ids,
/// one history entry carrying `comment`, created now.
Json make_import_config(const std::string& diff_id, const Platform& platform, const std::string& comment,
                        const std::string& created);

/// The diff IDs a config's rootfs lists: `layers` sha256 digests, bottom first.
Result<std::vector<std::string>> diff_ids_of(const Json& config, size_t layers);

/// Applies one Dockerfile-style instruction to config["config"]: CMD,
/// ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME,
/// WORKDIR, in shell or JSON form.
Status apply_change(Json& config, std::string_view change);

/// Splits a Dockerfile argument string into words the way `ENV a="b c" d=e`
/// needs: quotes group and are removed, backslash escapes the next character.
Result<std::vector<std::string>> split_words(std::string_view text);

}  // namespace skiff

namespace skiff {
/// docker's `Config` object for inspect: every field of its container config
/// struct, filled from an OCI config's "config" (absent ones null or empty).
Json docker_config_view(const Json& oci_config);
}  // namespace skiff

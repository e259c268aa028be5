// Image references ("ubuntu", "quay.io/a/b:tag", "name@sha256:...") parsed and
// normalised the way docker does it: the grammar, normalisation and error
// messages of github.com/distribution/reference v0.6 (ParseNormalizedNamed,
// ParseDockerRef, TagNameOnly, FamiliarName, FamiliarString) with the digest
// checks of github.com/opencontainers/go-digest v1.0.0.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"

namespace skiff {

/// The longest repository path (without the domain, with any "library/"
/// prefix) that a reference may have, as distribution/reference v0.6.
inline constexpr size_t kMaxRepositoryPathLength = 255;

struct ImageReference {
  std::string domain;  // "docker.io", "localhost:5000", "quay.io", "[::1]:5000"
  std::string path;    // "library/ubuntu", "a/b"
  std::string tag;     // "" when none
  std::string digest;  // "" when none, else "<algorithm>:<hex>", e.g. "sha256:<64 hex>"

  /// Parses and normalises like docker's ParseNormalizedNamed: "ubuntu" ->
  /// docker.io/library/ubuntu (no tag added), "ubuntu:14.04",
  /// "host:port/a/b:tag", "name@sha256:...", "name:tag@sha256:...";
  /// "index.docker.io" becomes "docker.io". Errors carry docker's messages
  /// ("invalid reference format", "invalid reference format: repository name
  /// (library/Ubuntu) must be lowercase", "invalid checksum digest length", ...).
  /// Any input, however long or malformed, gets a Result.
  static Result<ImageReference> parse(std::string_view text);

  /// parse(), then tags "latest" when there is neither tag nor digest
  /// (docker's TagNameOnly).
  static Result<ImageReference> parse_with_default_tag(std::string_view text);

  /// parse() as docker's ParseDockerRef: "latest" when there is neither tag
  /// nor digest, and the tag dropped when there are both.
  static Result<ImageReference> parse_docker_ref(std::string_view text);

  /// A copy with `tag` as its tag (the digest is kept); fails with
  /// "invalid tag format" unless `tag` matches [\w][\w.-]{0,127}.
  Result<ImageReference> with_tag(std::string_view tag) const;

  /// A copy with `digest` as its digest (the tag is kept); fails with
  /// "invalid digest format" when `digest` is not algorithm:hex, then with
  /// go-digest's checksum errors (e.g. a sha256 whose hex is not 64 long).
  Result<ImageReference> with_digest(std::string_view digest) const;

  /// "docker.io/library/ubuntu": domain/path (path alone if domain is empty).
  std::string name() const;
  /// name[:tag][@digest]: the canonical full form.
  std::string string() const;
  /// The short form docker shows: "ubuntu", "user/repo", "quay.io/a/b".
  std::string familiar_name() const;
  /// familiar_name[:tag][@digest].
  std::string familiar_string() const;

  bool operator==(const ImageReference&) const = default;
};

/// True when `text` could be an image ID or a prefix of one (lowercase hex,
/// 1..64 chars), optionally with a "sha256:" prefix. Used to try an ID lookup
/// before parsing a name.
bool looks_like_image_id(std::string_view text);

}  // namespace skiff

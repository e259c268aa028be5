// HTTP through libcurl. This grows into the registry client (issue: pull,
// push); today it streams a URL's body into a ByteSink.
#pragma once

#include <string>

#include "base/error.h"
#include "image/stream.h"

namespace skiff {

/// GETs `url` (http or https only, redirects followed) and pushes the body
/// into `sink`, then finish()es it. A non-2xx answer is an error naming the
/// status; so is a transfer cut short.
Status http_get_to_sink(const std::string& url, ByteSink& sink);

/// True for "http://..." and "https://...".
bool is_http_url(std::string_view text);

}  // namespace skiff

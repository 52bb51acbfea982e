// validate_endpoint_settings (providers/dialect.hpp): what encode() and the HTTP client would
// reject at request time, checked when the sweep is loaded. Kept apart from the codecs so that
// they (and the fuzz targets built from them) need no URL parser.
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "providers/dialect.hpp"
#include "providers/dialects/common.hpp"
#include "providers/http/url.hpp"

namespace emosweep::providers {

void validate_endpoint_settings(const EndpointSettings& settings, std::string_view where) {
  const auto fail = [&](std::string_view message) {
    throw InputError(where.empty() ? std::string(message) : fmt::format("{}: {}", where, message));
  };
  try {
    http_detail::parse_url(settings.base_url, "base_url");
  } catch (const InputError& e) {
    fail(e.what());
  }
  if (settings.base_url.find_first_of("?#") != std::string::npos)
    fail("base_url: must not have a query or fragment (the API path is appended to it)");
  if (auto problem = dialects::api_key_problem(settings.api_key)) fail(*problem);
  for (const auto& [name, value] : settings.extra_headers) {
    if (auto problem = dialects::extra_header_problem(name, value)) fail(*problem);
    for (std::string_view managed : {"host", "content-length", "transfer-encoding"})
      if (text::iequals_ascii(name, managed))
        fail(fmt::format("header '{}' is set by the HTTP client and cannot be configured", name));
  }
}

}  // namespace emosweep::providers

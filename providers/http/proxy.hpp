// Which proxy, if any, a request goes through. Pure: built once from ProxySettings when the
// client is constructed, then only read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/http/url.hpp"
#include "providers/http_client.hpp"

namespace emosweep::providers::http_detail {

// The NO_PROXY list: see ProxySettings::no_proxy for the accepted entries. Entries that are
// not understood are ignored, as curl does.
class NoProxyList {
 public:
  NoProxyList() = default;
  explicit NoProxyList(std::string_view spec);
  bool matches(std::string_view host, std::uint16_t port) const;

 private:
  struct Entry {
    std::string name;              // a domain suffix, or a normalised IP address
    bool is_address = false;       // `name` is an IP address: exact match
    std::optional<unsigned> cidr;  // `name` is a network address with this prefix length
    std::optional<std::uint16_t> port;
  };
  bool match_all_ = false;
  std::vector<Entry> entries_;
};

struct ProxyRoute {
  Origin proxy;               // always plain http
  std::string authorization;  // "Basic ..." from the proxy URL's user info; empty when none
};

class ProxyPolicy {
 public:
  ProxyPolicy() = default;
  // Throws emosweep::InputError naming the setting for an unusable proxy URL.
  explicit ProxyPolicy(const ProxySettings& settings);
  // The proxy for `target`, or nullptr for a direct connection.
  const ProxyRoute* route(const Origin& target) const;

 private:
  std::optional<ProxyRoute> http_, https_;
  NoProxyList no_proxy_;
};

}  // namespace emosweep::providers::http_detail

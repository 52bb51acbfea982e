#include "providers/http/tls_context.hpp"

#include <openssl/x509v3.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "providers/http/url.hpp"

namespace emosweep::providers::http_detail {

namespace ssl = boost::asio::ssl;

ssl::context make_tls_context(const HttpClientConfig& config) {
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  boost::system::error_code ec;
  if (!config.ca_file.empty()) {
    ctx.load_verify_file(config.ca_file, ec);
    if (ec)
      throw InputError(
          fmt::format("ca_file: cannot load CA bundle '{}': {}", config.ca_file, ec.message()));
  }
  if (config.insecure_skip_verify) {
    spdlog::warn(
        "TLS CERTIFICATE VERIFICATION IS DISABLED (insecure_skip_verify): any server, "
        "including an attacker's, will be trusted with requests and API keys");
    ctx.set_verify_mode(ssl::verify_none);
  } else {
    ctx.set_verify_mode(ssl::verify_peer);
  }
  return ctx;
}

void trust_system_roots(ssl::context& ctx) {
  // A machine without a system store simply has no default roots: not an error.
  boost::system::error_code ec;
  ctx.set_default_verify_paths(ec);
}

bool prepare_tls_session(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip_literal(host)) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) return false;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

std::string verify_failure(SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return {};
  return X509_verify_cert_error_string(result);
}

}  // namespace emosweep::providers::http_detail

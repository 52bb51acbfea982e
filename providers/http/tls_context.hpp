// The client's TLS settings: one OpenSSL context per client, and the per-connection setup
// (SNI, host-name verification) applied before every handshake.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <string>

#include "providers/http_client.hpp"

namespace emosweep::providers::http_detail {

// TLS 1.2 or newer, `config.ca_file`, peer verification on unless `config.insecure_skip_verify`
// (which logs a warning). Throws emosweep::InputError naming `ca_file` when that file cannot
// be loaded. The system trust store comes with trust_system_roots().
boost::asio::ssl::context make_tls_context(const HttpClientConfig& config);

// Adds the system trust store (always trusted). Separate because reading it takes tens of
// milliseconds: a client that expects only plain http (HttpClientConfig::expect_tls) calls it
// before its first TLS connection instead of at construction.
void trust_system_roots(boost::asio::ssl::context& ctx);

// Sets SNI (for host names; RFC 6066 forbids IP literals there) and the name or address the
// certificate must match. Returns false when OpenSSL refused the settings.
bool prepare_tls_session(SSL* ssl, const std::string& host);

// A readable reason for a failed handshake: the certificate verification error if there was
// one ("Hostname mismatch", "unable to get local issuer certificate"), else empty.
std::string verify_failure(SSL* ssl);

}  // namespace emosweep::providers::http_detail

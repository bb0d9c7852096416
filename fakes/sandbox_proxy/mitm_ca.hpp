#pragma once
// mitm_ca: the fake proxy's own certificate authority for CONNECT interception. The real
// sandbox proxy terminates TLS with a CA the sandbox trusts, so it can apply rules and inject
// credentials into HTTPS requests (docs/reference/proxy-denials.md §4). Generated at start
// (EC P-256, OpenSSL), never written anywhere unless asked (ca_cert_file).

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace fakes::sandbox_proxy {

/// A certificate and its private key, both PEM.
struct pem_pair
{
    std::string cert;
    std::string key;
};

class mitm_ca
{
public:
    /// Generates a fresh CA key and self-signed certificate. Throws std::runtime_error.
    mitm_ca();

    /// The CA certificate (PEM) a client must trust.
    const std::string& cert_pem() const { return ca_.cert; }

    /// A leaf certificate for `host` (DNS name or IP literal, as the SAN), signed by the CA and
    /// cached per host. Thread-safe. Throws std::runtime_error.
    pem_pair leaf_for(const std::string& host);

private:
    pem_pair ca_;
    std::mutex mutex_;
    std::map<std::string, pem_pair> leaves_;
    long serial_ = 1;
};

} // namespace fakes::sandbox_proxy

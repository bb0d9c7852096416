#include "mitm_ca.hpp"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>

#include <stdexcept>

namespace fakes::sandbox_proxy {

namespace {

struct pkey_free { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct x509_free { void operator()(X509* p) const { X509_free(p); } };
struct bio_free { void operator()(BIO* p) const { BIO_free(p); } };
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using bio_ptr = std::unique_ptr<BIO, bio_free>;

void
check(bool ok, const char* what)
{
    if(!ok)
        throw std::runtime_error(std::string("mitm_ca: ") + what + " failed");
}

pkey_ptr
new_key()
{
    pkey_ptr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EC key generation");
    return key;
}

std::string
to_pem(X509* cert)
{
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
    char* data = nullptr;
    auto n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string
to_pem(EVP_PKEY* key)
{
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
    char* data = nullptr;
    auto n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

void
add_ext(X509* cert, X509* issuer, int nid, const char* value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

x509_ptr
new_cert(EVP_PKEY* key, const std::string& cn, long serial, long days)
{
    x509_ptr cert(X509_new());
    check(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("fake-sandbox-proxy"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    return cert;
}

} // namespace

mitm_ca::mitm_ca()
{
    auto key = new_key();
    auto cert = new_cert(key.get(), "fake-sandbox-proxy CA", serial_++, 365);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
    add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "signing the CA");
    ca_ = {to_pem(cert.get()), to_pem(key.get())};
}

pem_pair
mitm_ca::leaf_for(const std::string& host)
{
    std::lock_guard lock(mutex_);
    if(auto it = leaves_.find(host); it != leaves_.end())
        return it->second;

    bio_ptr cert_bio(BIO_new_mem_buf(ca_.cert.data(), static_cast<int>(ca_.cert.size())));
    x509_ptr ca_cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    bio_ptr key_bio(BIO_new_mem_buf(ca_.key.data(), static_cast<int>(ca_.key.size())));
    pkey_ptr ca_key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    check(ca_cert && ca_key, "reading the CA back");

    auto key = new_key();
    auto cert = new_cert(key.get(), host, serial_++, 30);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    const std::string san = (ec ? "DNS:" : "IP:") + host;
    add_ext(cert.get(), ca_cert.get(), NID_subject_alt_name, san.c_str());
    add_ext(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
    check(X509_sign(cert.get(), ca_key.get(), EVP_sha256()) > 0, "signing a leaf");
    pem_pair leaf{to_pem(cert.get()), to_pem(key.get())};
    leaves_.emplace(host, leaf);
    return leaf;
}

} // namespace fakes::sandbox_proxy

#include "base/crypto.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace concert {

namespace {

// One HMAC context per thread, reused: OpenSSL 3 fetches the digest and
// builds a context on every one-shot HMAC(), which costs more than hashing
// a token.
class HmacContext {
public:
    HmacContext() {
        EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (mac == nullptr) throw std::runtime_error("HMAC unavailable");
        ctx_ = EVP_MAC_CTX_new(mac);
        EVP_MAC_free(mac);  // the context keeps its own reference
        if (ctx_ == nullptr) throw std::runtime_error("HMAC context failed");
    }
    ~HmacContext() { EVP_MAC_CTX_free(ctx_); }
    HmacContext(const HmacContext&) = delete;
    HmacContext& operator=(const HmacContext&) = delete;

    std::string sign(std::string_view data, std::string_view key) {
        // The key goes in on every init: a null key ("the one set before")
        // is not honoured by OpenSSL before 3.0.3. The digest is set once.
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
        const auto* k = reinterpret_cast<const unsigned char*>(key.data());
        if (EVP_MAC_init(ctx_, k, key.size(), digest_set_ ? nullptr : params) != 1 ||
            EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
            digest_set_ = false;
            throw std::runtime_error("HMAC failed");
        }
        digest_set_ = true;
        unsigned char out[EVP_MAX_MD_SIZE];
        std::size_t len = 0;
        if (EVP_MAC_final(ctx_, out, &len, sizeof out) != 1) {
            digest_set_ = false;
            throw std::runtime_error("HMAC failed");
        }
        return std::string(reinterpret_cast<const char*>(out), len);
    }

private:
    EVP_MAC_CTX* ctx_ = nullptr;
    bool digest_set_ = false;
};

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

std::string sha256(std::string_view data) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(bytes_of(data), data.size(), digest);
    return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string sha1(std::string_view data) {
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(bytes_of(data), data.size(), digest);
    return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

// One digest context per thread and the algorithm fetched once: OpenSSL 3's
// one-shot SHA1() looks the algorithm up on every call, most of the cost of
// hashing a short text (a draw hashes a million).
void sha1_into(std::string_view data, unsigned char out[20]) {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    static thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned int len = 0;
    if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) {
        SHA1(bytes_of(data), data.size(), out);
    }
}

std::string hmac_sha256(std::string_view data, std::string_view key) {
    static thread_local HmacContext mac;
    return mac.sign(data, key);
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace concert

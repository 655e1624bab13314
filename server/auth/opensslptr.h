#pragma once

// RAII owners for the OpenSSL objects the auth code uses, shared by keyset.cpp and tokens.cpp. Any thread.

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <QByteArrayView>

#include <memory>

namespace qsqld::auth::ossl {

struct PkeyFree
{
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree
{
    void operator()(EVP_MD_CTX *p) const { EVP_MD_CTX_free(p); }
};
struct BioFree
{
    void operator()(BIO *p) const { BIO_free(p); }
};
struct OpenSslFree
{
    void operator()(void *p) const { OPENSSL_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// The bytes of a view as OpenSSL's unsigned-char pointer.
inline const unsigned char *bytes(QByteArrayView v)
{
    return reinterpret_cast<const unsigned char *>(v.data());
}

} // namespace qsqld::auth::ossl

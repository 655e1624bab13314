#include "keyset.h"

#include "opensslptr.h"

#include <memory>
#include <optional>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

using namespace Qt::StringLiterals;

namespace qsqld::auth {

namespace {

constexpr qsizetype MAX_KEY_TEXT_BYTES = 1024 * 1024;

using namespace ossl;

// One block as PEM_read_bio returns it; the three buffers belong to OpenSSL.
struct PemBlock
{
    std::unique_ptr<char, OpenSslFree> name;
    std::unique_ptr<char, OpenSslFree> header;
    std::unique_ptr<unsigned char, OpenSslFree> data;
    long length = 0;
};

// Reads every PEM block of `text` (text between blocks is ignored, as sqld's pem crate does).
std::variant<std::vector<PemBlock>, QString> readPemBlocks(QByteArrayView text)
{
    BioPtr bio(BIO_new_mem_buf(text.data(), int(text.size())));
    if (!bio)
        return u"Could not allocate memory to read the key text."_s;
    std::vector<PemBlock> blocks;
    for (;;) {
        char *name = nullptr;
        char *header = nullptr;
        unsigned char *data = nullptr;
        PemBlock block;
        const int ok = PEM_read_bio(bio.get(), &name, &header, &data, &block.length);
        block.name.reset(name);
        block.header.reset(header);
        block.data.reset(data);
        if (ok == 1) {
            blocks.push_back(std::move(block));
            continue;
        }
        const unsigned long error = ERR_peek_last_error();
        ERR_clear_error();
        if (ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE && !blocks.empty())
            return blocks;
        return u"The key text starts like PEM, but PEM block %1 is malformed (bad base64 or a missing END line)."_s.arg(
            blocks.size() + 1);
    }
}

// The raw public key of a `PUBLIC KEY` block, or the reason it is not an Ed25519 key.
std::variant<QByteArray, QString> ed25519FromSpki(const PemBlock &block, qsizetype number)
{
    const unsigned char *p = block.data.get();
    PkeyPtr key(d2i_PUBKEY(nullptr, &p, block.length));
    if (!key || p != block.data.get() + block.length) {
        ERR_clear_error();
        return u"PEM block %1 is not a valid SubjectPublicKeyInfo public key."_s.arg(number);
    }
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
        const char *type = EVP_PKEY_get0_type_name(key.get());
        return u"PEM block %1 holds a %2 public key, but only Ed25519 keys are supported."_s.arg(number).arg(
            type ? QString::fromLatin1(type) : u"non-Ed25519"_s);
    }
    QByteArray raw(ED25519_KEY_BYTES, Qt::Uninitialized);
    size_t length = size_t(raw.size());
    if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char *>(raw.data()), &length) != 1
        || length != size_t(ED25519_KEY_BYTES)) {
        ERR_clear_error();
        return u"Could not read the Ed25519 public key of PEM block %1."_s.arg(number);
    }
    return raw;
}

std::variant<KeySet, QString> parsePem(QByteArrayView text)
{
    auto read = readPemBlocks(text);
    if (auto *error = std::get_if<QString>(&read))
        return *error;
    QList<QByteArray> keys;
    qsizetype number = 0;
    for (const PemBlock &block : std::get<0>(read)) {
        ++number;
        const QByteArray tag(block.name.get());
        if (tag.endsWith("PRIVATE KEY"))
            return u"Received a private key, but a public key is expected"_s;
        if (tag != "PUBLIC KEY") {
            return u"PEM block %1 is a `%2`, but only `PUBLIC KEY` blocks holding Ed25519 keys are supported."_s
                .arg(number)
                .arg(QString::fromLatin1(tag));
        }
        auto key = ed25519FromSpki(block, number);
        if (auto *error = std::get_if<QString>(&key))
            return *error;
        keys.append(std::get<QByteArray>(key));
    }
    return KeySet::fromRawKeys(keys);
}

// Base64 in either alphabet (even mixed), with or without '=' padding; nullopt if it is not base64.
std::optional<QByteArray> decodeLenientBase64(QByteArrayView text)
{
    QByteArray s = text.toByteArray();
    qsizetype padding = 0;
    while (s.endsWith('=') && padding < 2) {
        s.chop(1);
        ++padding;
    }
    if (s.isEmpty() || s.size() % 4 == 1 || (padding > 0 && (s.size() + padding) % 4 != 0))
        return std::nullopt;
    for (char &c : s) {
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
            return std::nullopt;
    }
    auto decoded = QByteArray::fromBase64Encoding(s, QByteArray::Base64Encoding);
    if (!decoded)
        return std::nullopt;
    return decoded.decoded;
}

std::variant<KeySet, QString> parseRaw(QByteArrayView text)
{
    const auto decoded = decodeLenientBase64(text);
    if (!decoded) {
        return u"The key is neither PEM nor base64: a raw Ed25519 public key is 43 URL-safe base64 characters "
               "on one line."_s;
    }
    if (decoded->size() != ED25519_KEY_BYTES) {
        return u"The raw Ed25519 public key decodes to %1 bytes, but it must be exactly %2 bytes."_s
            .arg(decoded->size())
            .arg(ED25519_KEY_BYTES);
    }
    return KeySet::fromRawKeys({ *decoded });
}

} // namespace

std::variant<KeySet, QString> KeySet::parse(QByteArrayView text)
{
    if (text.size() > MAX_KEY_TEXT_BYTES)
        return u"The key text is larger than 1 MiB, which no key file is."_s;
    const QByteArrayView trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return u"The key text is empty."_s;
    if (trimmed.startsWith("-----BEGIN"))
        return parsePem(trimmed);
    return parseRaw(trimmed);
}

KeySet KeySet::fromRawKeys(const QList<QByteArray> &rawKeys)
{
    KeySet set;
    for (const QByteArray &key : rawKeys) {
        if (key.size() == ED25519_KEY_BYTES)
            set.m_keys.append(key);
    }
    return set;
}

qsizetype KeySet::verify(QByteArrayView message, QByteArrayView signature) const
{
    for (qsizetype i = 0; i < m_keys.size(); ++i) {
        if (verifyEd25519(m_keys[i], message, signature))
            return i;
    }
    return -1;
}

bool verifyEd25519(QByteArrayView rawPublicKey, QByteArrayView message, QByteArrayView signature)
{
    if (rawPublicKey.size() != ED25519_KEY_BYTES || signature.size() != ED25519_SIGNATURE_BYTES)
        return false;
    PkeyPtr key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(rawPublicKey), size_t(rawPublicKey.size())));
    MdCtxPtr ctx(EVP_MD_CTX_new());
    bool ok = key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1
        && EVP_DigestVerify(
               ctx.get(), bytes(signature), size_t(signature.size()), bytes(message), size_t(message.size()))
            == 1;
    if (!ok)
        ERR_clear_error(); // leave the thread's error queue clean for the next OpenSSL user
    return ok;
}

QByteArray rawKeyToText(QByteArrayView rawPublicKey)
{
    return rawPublicKey.toByteArray().toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace qsqld::auth

#pragma once

// The Ed25519 public keys that JWTs are checked against: the global --auth-jwt-key-file / SQLD_AUTH_JWT_KEY
// text, or a namespace's own `jwt_key`. Parsing follows sqld's parse_jwt_keys (spec section 3.2) but is more
// lenient about whitespace and base64, and stricter about key length. A value: cheap to copy, immutable after
// parse(), safe to use from any thread (every verification creates its own OpenSSL objects).

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <variant>

namespace qsqld::auth {

constexpr qsizetype ED25519_KEY_BYTES = 32;
constexpr qsizetype ED25519_SIGNATURE_BYTES = 64;

class KeySet
{
public:
    KeySet() = default; // no keys: every token is invalid

    // Text starting with "-----BEGIN" (after leading whitespace) is one or more PEM blocks, each a
    // `PUBLIC KEY` (SubjectPublicKeyInfo) holding an Ed25519 key. Anything else is ONE raw 32-byte key in
    // base64: URL-safe or standard alphabet, padding optional, surrounding whitespace ignored.
    // The error is one sentence suitable for a startup error or an admin API answer.
    static std::variant<KeySet, QString> parse(QByteArrayView text);

    // Keys that are already raw 32-byte Ed25519 public keys (wrong lengths are dropped).
    static KeySet fromRawKeys(const QList<QByteArray> &rawKeys);

    bool isEmpty() const { return m_keys.isEmpty(); }
    qsizetype size() const { return m_keys.size(); }
    const QList<QByteArray> &rawKeys() const { return m_keys; }

    // Index of the first key (in file order) under which `signature` is a valid Ed25519 signature of
    // `message`, or -1. This is sqld's key rotation: every key is tried in order.
    qsizetype verify(QByteArrayView message, QByteArrayView signature) const;

    bool operator==(const KeySet &) const = default;

private:
    QList<QByteArray> m_keys; // raw 32-byte public keys
};

// One Ed25519 verification (RFC 8032, pure Ed25519, no pre-hash). False for any malformed input.
bool verifyEd25519(QByteArrayView rawPublicKey, QByteArrayView message, QByteArrayView signature);

// The raw key as sqld's raw key format: URL-safe base64 without padding (43 characters for 32 bytes).
QByteArray rawKeyToText(QByteArrayView rawPublicKey);

} // namespace qsqld::auth

#pragma once

// Namespace names: validation (stricter than sqld, so a name is always a safe single directory name) and
// resolution from a request's headers (sqld's order: x-namespace-bin, x-namespace, Host subdomain, default).
// Pure functions; any thread.

#include "http/request.h"
#include "http/response.h"

#include <QString>

#include <variant>

namespace qsqld::ns {

constexpr int MAX_NAME_BYTES = 128;

// Empty when `name` is valid, else the reason. Allowed: 1-128 of A-Z a-z 0-9 '-' '_' (so never '.', '/', NUL).
QByteArray validateName(QByteArrayView name);

struct ResolveOptions
{
    bool enableNamespaces = false;
    bool disableDefaultNamespace = false;
};

// The namespace a user-API request addresses, or the error response to send (400).
std::variant<QString, http::Response> resolveNamespace(const http::Request &request, const ResolveOptions &options);

// A 400 response for an invalid name.
http::Response invalidNamespace(QByteArrayView name, const QByteArray &reason);

} // namespace qsqld::ns

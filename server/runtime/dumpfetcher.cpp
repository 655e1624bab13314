#include "dumpfetcher.h"

#include <QDir>
#include <QNetworkReply>
#include <QTemporaryFile>

namespace qsqld::runtime {

namespace {
constexpr qint64 MAX_DUMP_BYTES = 8LL * 1024 * 1024 * 1024; // a larger download is refused
constexpr int TRANSFER_TIMEOUT_MS = 60'000;                  // no progress for this long ends the download
}

DumpFetcher::DumpFetcher(QString tmpDir, QObject *parent) : QObject(parent), m_tmpDir(std::move(tmpDir))
{
}

void DumpFetcher::fetch(const QUrl &url, std::function<void(QString path, QByteArray error)> done)
{
    QDir().mkpath(m_tmpDir);
    auto *file = new QTemporaryFile(m_tmpDir + QStringLiteral("/dump-XXXXXX.sql"), this);
    file->setAutoRemove(false);
    if (!file->open()) {
        delete file;
        done({}, "cannot create a temporary file in " + m_tmpDir.toUtf8());
        return;
    }
    QNetworkRequest request(url);
    request.setTransferTimeout(TRANSFER_TIMEOUT_MS);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    QNetworkReply *reply = m_nam.get(request);
    auto failed = std::make_shared<QByteArray>();
    connect(reply, &QNetworkReply::readyRead, this, [reply, file, failed] {
        if (!failed->isEmpty())
            return;
        const QByteArray chunk = reply->readAll();
        if (file->size() + chunk.size() > MAX_DUMP_BYTES) {
            *failed = "the dump is larger than 8 GiB";
            reply->abort();
            return;
        }
        if (file->write(chunk) != chunk.size()) {
            *failed = "cannot write the downloaded dump: " + file->errorString().toUtf8();
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::finished, this, [reply, file, failed, done = std::move(done), url] {
        reply->deleteLater();
        const QString path = file->fileName();
        file->write(reply->readAll());
        file->close();
        file->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        QByteArray error = *failed;
        if (error.isEmpty() && reply->error() != QNetworkReply::NoError)
            error = "cannot download " + url.toEncoded() + ": " + reply->errorString().toUtf8();
        if (error.isEmpty() && status != 200)
            error = "cannot download " + url.toEncoded() + ": HTTP status " + QByteArray::number(status);
        if (!error.isEmpty()) {
            QFile::remove(path);
            done({}, error);
            return;
        }
        done(path, {});
    });
}

} // namespace qsqld::runtime

#pragma once

// Downloads an http(s) dump_url into a temporary file under <db-path>/.tmp, streaming (never the whole dump in
// memory), with a size cap. Thread rule: I/O thread; `done` runs there with the file path or an error text.

#include <QNetworkAccessManager>
#include <QObject>
#include <QUrl>

#include <functional>

namespace qsqld::runtime {

class DumpFetcher : public QObject
{
    Q_OBJECT
public:
    explicit DumpFetcher(QString tmpDir, QObject *parent = nullptr);

    // `done(path, error)`: on success `path` is a file the caller removes when finished.
    void fetch(const QUrl &url, std::function<void(QString path, QByteArray error)> done);

private:
    QString m_tmpDir;
    QNetworkAccessManager m_nam;
};

} // namespace qsqld::runtime

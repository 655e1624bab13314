#include "builtinserverpage.h"

#include "auth/tokens.h"
#include "builtinserver.h"

#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTime>
#include <QVBoxLayout>

#include <mutex>

namespace qsqld::ui {

using namespace Qt::StringLiterals;

namespace {

// The server logs through Qt's message handler from its own threads; lines of the qsqld.* categories are
// forwarded to every open page (queued onto the GUI thread), then to the previous handler.
std::mutex g_pagesMutex;
QList<QPointer<BuiltinServerPage>> g_pages;
QtMessageHandler g_previous = nullptr;

void forwardMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (context.category && QByteArrayView(context.category).startsWith("qsqld.")) {
        const QString line = QTime::currentTime().toString(u"HH:mm:ss.zzz"_s) + u' '
            + QString::fromLatin1(context.category) + u": "_s + message;
        std::lock_guard lock(g_pagesMutex);
        for (const auto &page : std::as_const(g_pages)) {
            if (page)
                QMetaObject::invokeMethod(page, "appendLogLine", Qt::QueuedConnection, Q_ARG(QString, line));
        }
    }
    if (g_previous)
        g_previous(type, context, message);
}

QString writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
        return u"cannot write "_s + path;
    return {};
}

} // namespace

BuiltinServerPage::BuiltinServerPage(QWidget *parent)
    : Page(parent), m_server(new BuiltinServer(this)), m_folder(new QLineEdit(this)), m_userPort(new QSpinBox(this)),
      m_adminPort(new QSpinBox(this)), m_tokens(new QCheckBox(tr("Require tokens (JWT) and an admin key"), this)),
      m_start(new QPushButton(tr("&Start"), this)), m_stop(new QPushButton(tr("S&top"), this)),
      m_status(new QLabel(this)), m_log(new QPlainTextEdit)
{
    m_folder->setText(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/builtin.sqld"_s);
    auto *browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Data folder"), m_folder->text());
        if (!dir.isEmpty())
            m_folder->setText(dir);
    });
    for (QSpinBox *port : {m_userPort, m_adminPort}) {
        port->setRange(0, 65535);
        port->setSpecialValueText(tr("any free port"));
    }
    m_userPort->setValue(8080);
    m_adminPort->setValue(9090);
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(browse);
    auto *form = new QFormLayout;
    form->addRow(tr("Data folder"), folderRow);
    form->addRow(tr("User API port"), m_userPort);
    form->addRow(tr("Admin API port"), m_adminPort);
    form->addRow(QString(), m_tokens);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addStretch(1);
    m_status->setWordWrap(true);
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);
    m_log->setPlaceholderText(tr("The built-in server's log appears here."));
    connect(m_start, &QPushButton::clicked, this, &BuiltinServerPage::start);
    connect(m_stop, &QPushButton::clicked, this, &BuiltinServerPage::stop);
    connect(m_server, &BuiltinServer::started, this, [this](quint16 user, quint16 admin) {
        m_pending.userUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(user));
        m_pending.adminUrl = QUrl(u"http://127.0.0.1:%1"_s.arg(admin));
        setState(true, tr("Running: user API on port %1, admin API on port %2.").arg(user).arg(admin));
        appendLogLine(tr("Started: user API http://127.0.0.1:%1, admin API http://127.0.0.1:%2, data in %3")
                          .arg(user).arg(admin).arg(m_folder->text()));
        emit profileReady(m_pending);
    });
    connect(m_server, &BuiltinServer::failed, this, [this](const QString &error) {
        setState(false, tr("Could not start: %1").arg(error));
    });
    connect(m_server, &BuiltinServer::stopped, this, [this] {
        setState(false, tr("Stopped."));
        appendLogLine(tr("Stopped."));
        emit serverStopped();
    });
    setState(false, tr("Not running."));
    std::lock_guard lock(g_pagesMutex);
    g_pages.append(this);
    if (!g_previous)
        g_previous = qInstallMessageHandler(forwardMessage);
}

BuiltinServerPage::~BuiltinServerPage()
{
    std::lock_guard lock(g_pagesMutex);
    g_pages.removeAll(QPointer<BuiltinServerPage>(this));
    if (m_log && !m_log->parent())
        delete m_log;
}

bool BuiltinServerPage::isRunning() const
{
    return m_server->isRunning();
}

void BuiltinServerPage::setDataFolder(const QString &path)
{
    m_folder->setText(path);
}

void BuiltinServerPage::setPorts(quint16 user, quint16 admin)
{
    m_userPort->setValue(user);
    m_adminPort->setValue(admin);
}

void BuiltinServerPage::setRequireTokens(bool on)
{
    m_tokens->setChecked(on);
}

void BuiltinServerPage::appendLogLine(const QString &line)
{
    m_log->appendPlainText(line);
}

void BuiltinServerPage::setState(bool running, const QString &message)
{
    m_status->setText(message);
    m_start->setEnabled(!running);
    m_stop->setEnabled(running);
    for (QWidget *w : std::initializer_list<QWidget *>{m_folder, m_userPort, m_adminPort, m_tokens})
        w->setEnabled(!running);
}

void BuiltinServerPage::start()
{
    runtime::ServerConfig config;
    config.dbPath = m_folder->text();
    config.enableNamespaces = true;
    config.httpListen = {QHostAddress(QHostAddress::LocalHost), static_cast<quint16>(m_userPort->value()),
                         u"127.0.0.1:%1"_s.arg(m_userPort->value())};
    config.adminListen = runtime::ListenAddress{QHostAddress(QHostAddress::LocalHost),
                                                static_cast<quint16>(m_adminPort->value()),
                                                u"127.0.0.1:%1"_s.arg(m_adminPort->value())};
    m_pending = Profile{};
    m_pending.name = tr("Built-in server");
    if (m_tokens->isChecked()) {
        // A key pair kept in the data folder (reused on the next start) and a fresh admin key.
        QDir().mkpath(config.dbPath);
        const QString privatePath = config.dbPath + u"/console-jwt-private.pem"_s;
        QFile existing(privatePath);
        auto keys = existing.open(QIODevice::ReadOnly) ? auth::keyPairFromPrivateKey(existing.readAll())
                                                      : std::variant<auth::KeyPair, QString>(auth::generateKeyPair());
        if (auto *e = std::get_if<QString>(&keys))
            return setState(false, tr("Could not read %1: %2").arg(privatePath, *e));
        const auth::KeyPair &pair = std::get<auth::KeyPair>(keys);
        QString error = writeFile(privatePath, pair.privateKeyPem);
        if (error.isEmpty())
            error = writeFile(config.dbPath + u"/console-jwt-public.pem"_s, pair.publicKeyPem);
        if (!error.isEmpty())
            return setState(false, tr("Could not start: %1").arg(error));
        QFile::setPermissions(privatePath, QFile::ReadOwner | QFile::WriteOwner);
        config.authJwtKeyFile = config.dbPath + u"/console-jwt-public.pem"_s;
        config.adminAuthKey = QString::number(QRandomGenerator::system()->generate64(), 16)
            + QString::number(QRandomGenerator::system()->generate64(), 16);
        m_pending.signingKeyPem = pair.privateKeyPem;
        m_pending.adminKey = config.adminAuthKey.toUtf8();
    }
    setState(true, tr("Starting…"));
    m_stop->setEnabled(false);
    m_server->start(config);
}

void BuiltinServerPage::stop()
{
    m_server->stop();
    m_status->setText(tr("Stopping…"));
}

} // namespace qsqld::ui

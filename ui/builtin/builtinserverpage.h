#pragma once

// The built-in server page: run a qsqld in this process for local work (data folder, ports, tokens on or off),
// see its log, and get a connection profile for it in one click. Thread rule: GUI thread only.

#include "core/page.h"
#include "core/profile.h"

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace qsqld::ui {

class BuiltinServer;

class BuiltinServerPage : public Page
{
    Q_OBJECT
public:
    explicit BuiltinServerPage(QWidget *parent = nullptr);
    ~BuiltinServerPage() override;

    void setClient(ApiClient *) override { }
    // The log view, for the window to show in a dock.
    QPlainTextEdit *logView() const { return m_log; }
    bool isRunning() const;

    // The settings the Start button uses (tests set them directly).
    void setDataFolder(const QString &path);
    void setPorts(quint16 user, quint16 admin);
    void setRequireTokens(bool on);

    void start();
    void stop();

    // One log line (called queued from the server's threads).
    Q_INVOKABLE void appendLogLine(const QString &line);

signals:
    // The server runs; `profile` connects to it (with a signing key and the admin key when tokens are required).
    void profileReady(const Profile &profile);
    void serverStopped();

private:
    void setState(bool running, const QString &message);

    BuiltinServer *m_server;
    QLineEdit *m_folder;
    QSpinBox *m_userPort;
    QSpinBox *m_adminPort;
    QCheckBox *m_tokens;
    QPushButton *m_start;
    QPushButton *m_stop;
    QLabel *m_status;
    QPlainTextEdit *m_log;
    Profile m_pending; // completed with the ports once the server runs
};

} // namespace qsqld::ui

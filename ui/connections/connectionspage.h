#pragma once

// The connections page: saved deployment profiles (qsqld or plain sqld), edited in a form whose secrets go to
// the OS keychain; "Test connection" says what works and what does not, in words; "Connect" makes a profile the
// active deployment of the whole window. Thread rule: GUI thread only.

#include "core/page.h"
#include "core/profile.h"

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;

namespace qsqld::ui {

class ProfileStore;

class ConnectionsPage : public Page
{
    Q_OBJECT
public:
    explicit ConnectionsPage(ProfileStore *store, QWidget *parent = nullptr);
    ~ConnectionsPage() override;

    void setClient(ApiClient *client) override;
    QString statusText() const;

    // The form as a profile (secrets included), and the reverse.
    Profile formProfile() const;
    void showProfile(const Profile &profile);
    void reloadList();
    void selectProfile(const QString &name); // shows it in the form (secrets load from the keychain)

    void save();
    void removeCurrent();
    void testConnection();
    void connectCurrent();

signals:
    void connectRequested(const Profile &profile);
    void testFinished(bool ok, const QString &message);

private:
    void report(bool ok, const QString &message);

    ProfileStore *m_store;
    QListWidget *m_list;
    QLineEdit *m_name;
    QLineEdit *m_userUrl;
    QLineEdit *m_adminUrl;
    QComboBox *m_routing;
    QLineEdit *m_adminKey;
    QLineEdit *m_signingKeyFile;
    QLineEdit *m_token;
    QLabel *m_secretsNote;
    QLabel *m_status;
    QByteArray m_signingKeyPem; // read from the chosen file, or from the keychain
    std::unique_ptr<ApiClient> m_tester;
};

} // namespace qsqld::ui

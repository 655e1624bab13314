// The console's tokens page: generate, save, load, mint and inspect through the page, checked against
// server/auth/tokens.h (the same code the server and `qsqld token` use).

#include "auth/keyset.h"
#include "auth/tokens.h"
#include "tokens/tokeninspectpanel.h"
#include "tokens/tokenspage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace qsqld;
using Status = auth::TokenCheck::Status;

namespace {

template <typename T> T *child(QWidget *parent, const QString &name)
{
    auto *w = parent->findChild<T *>(name);
    if (!w)
        qFatal("no child %s", qPrintable(name));
    return w;
}

// The status shown in the checks table for the row named `check`; -1 when absent.
int shownStatus(QWidget *page, const QString &check)
{
    auto *table = child<QTableWidget>(page, u"inspectChecks"_s);
    for (int row = 0; row < table->rowCount(); ++row) {
        if (table->item(row, 0)->text() == check)
            return table->item(row, 1)->data(Qt::UserRole).toInt();
    }
    return -1;
}

void selectData(QComboBox *box, const QVariant &data)
{
    const int index = box->findData(data);
    QVERIFY(index >= 0);
    box->setCurrentIndex(index);
}

} // namespace

class TstTokensPage : public QObject
{
    Q_OBJECT

private slots:
    void generateMintInspect();
    void expiredToken();
    void otherKeyFailsSignature();
    void allNamespacesAndErrors();
    void saveAndLoad();
    void badPublicKey();
};

void TstTokensPage::generateMintInspect()
{
    ui::TokensPage page;
    QSignalSpy keyChanged(&page, &ui::TokensPage::keyPairChanged);
    QTest::mouseClick(child<QPushButton>(&page, u"generateButton"_s), Qt::LeftButton);
    QCOMPARE(keyChanged.size(), 1);
    const auth::KeyPair pair = page.keyPair();
    QVERIFY(pair.isValid());
    // The public key shown is the generated one, in both forms.
    QCOMPARE(child<QPlainTextEdit>(&page, u"publicKeyPem"_s)->toPlainText().trimmed().toLatin1(),
             pair.publicKeyPem.trimmed());
    QCOMPARE(child<QLineEdit>(&page, u"publicKeyRaw"_s)->text().toLatin1(), pair.publicKeyRaw);
    auto fromPrivate = auth::keyPairFromPrivateKey(pair.privateKeyPem);
    QVERIFY(std::holds_alternative<auth::KeyPair>(fromPrivate));
    QCOMPARE(std::get<auth::KeyPair>(fromPrivate).publicKeyRaw, pair.publicKeyRaw);

    child<QComboBox>(&page, u"mintNamespace"_s)->setCurrentText(u"tenant-a"_s);
    selectData(child<QComboBox>(&page, u"mintAccess"_s), int(auth::Permissions::Access::ReadOnly));
    selectData(child<QComboBox>(&page, u"mintExpiry"_s), qint64(86400));
    QSignalSpy minted(&page, &ui::TokensPage::tokenMinted);
    QTest::mouseClick(child<QPushButton>(&page, u"mintButton"_s), Qt::LeftButton);
    QCOMPARE(minted.size(), 1);
    const QByteArray token = page.mintedToken();
    QVERIFY(!token.isEmpty());
    QCOMPARE(child<QPlainTextEdit>(&page, u"mintedToken"_s)->toPlainText().toLatin1(), token);

    // Inspect through the widgets: raw key form, the minted namespace.
    child<QPlainTextEdit>(&page, u"inspectToken"_s)->setPlainText(QString::fromLatin1(token));
    child<QPlainTextEdit>(&page, u"inspectKey"_s)->setPlainText(QString::fromLatin1(pair.publicKeyRaw));
    child<QLineEdit>(&page, u"inspectNamespace"_s)->setText(u"tenant-a"_s);
    QSignalSpy inspected(page.inspector(), &ui::TokenInspectPanel::inspected);
    QTest::mouseClick(child<QPushButton>(&page, u"inspectButton"_s), Qt::LeftButton);
    QCOMPARE(inspected.size(), 1);
    QCOMPARE(inspected.first().first().toBool(), true);
    const auth::TokenInspection &result = page.inspector()->inspection();
    QVERIFY(result.accepted);
    QVERIFY(result.permissions.has_value());
    QCOMPARE(result.canReadNamespace, std::optional<bool>(true));
    QCOMPARE(shownStatus(&page, u"signature"_s), int(Status::Pass));
    QCOMPARE(shownStatus(&page, u"expiry"_s), int(Status::Pass));
    QCOMPARE(shownStatus(&page, u"namespace"_s), int(Status::Pass));
    const QString claims = child<QPlainTextEdit>(&page, u"inspectClaims"_s)->toPlainText();
    QVERIFY2(claims.contains(u"\"ro\""_s) && claims.contains(u"tenant-a"_s), qPrintable(claims));
    QVERIFY(child<QPlainTextEdit>(&page, u"inspectHeader"_s)->toPlainText().contains(u"EdDSA"_s));
    const QString summary = child<QLabel>(&page, u"inspectSummary"_s)->text();
    QCOMPARE(summary, result.summary());
    QVERIFY2(summary.startsWith(u"accepted"_s), qPrintable(summary));

    // Another namespace: the token grants nothing there.
    child<QLineEdit>(&page, u"inspectNamespace"_s)->setText(u"tenant-b"_s);
    QVERIFY(page.inspector()->inspect());
    QCOMPARE(page.inspector()->inspection().canReadNamespace, std::optional<bool>(false));
    QCOMPARE(shownStatus(&page, u"namespace"_s), int(Status::Fail));
}

void TstTokensPage::expiredToken()
{
    ui::TokensPage page;
    page.generateKeyPair();
    page.setCurrentTenant(u"db"_s);
    selectData(child<QComboBox>(&page, u"mintExpiry"_s), qint64(0)); // custom
    auto *seconds = child<QSpinBox>(&page, u"mintExpirySeconds"_s);
    QVERIFY(seconds->isEnabled());
    seconds->setValue(1);
    // Issued an hour ago with a 1 s lifetime: long past the server's leeway.
    const auto token = page.mint(QDateTime::currentSecsSinceEpoch() - 3600);
    QVERIFY(std::holds_alternative<QByteArray>(token));

    page.inspector()->setToken(std::get<QByteArray>(token));
    page.inspector()->setPublicKey(page.keyPair().publicKeyPem);
    QVERIFY(page.inspector()->inspect());
    const auth::TokenInspection &result = page.inspector()->inspection();
    QVERIFY(!result.accepted);
    QVERIFY(result.error.has_value());
    QCOMPARE(shownStatus(&page, u"expiry"_s), int(Status::Fail));
    QCOMPARE(shownStatus(&page, u"signature"_s), int(Status::Pass));
    QVERIFY(child<QLabel>(&page, u"inspectSummary"_s)->text().startsWith(u"rejected"_s));
}

void TstTokensPage::otherKeyFailsSignature()
{
    ui::TokensPage page;
    page.generateKeyPair();
    child<QCheckBox>(&page, u"mintAllNamespaces"_s)->setChecked(true);
    const auto token = page.mint();
    QVERIFY(std::holds_alternative<QByteArray>(token));

    const auth::KeyPair other = auth::generateKeyPair();
    page.inspector()->setToken(std::get<QByteArray>(token));
    page.inspector()->setPublicKey(other.publicKeyPem);
    QVERIFY(page.inspector()->inspect());
    QVERIFY(!page.inspector()->inspection().accepted);
    QCOMPARE(shownStatus(&page, u"signature"_s), int(Status::Fail));

    // Without a key the signature is only noted, not failed.
    page.inspector()->setPublicKey({});
    QVERIFY(page.inspector()->inspect());
    QCOMPARE(shownStatus(&page, u"signature"_s), int(Status::Info));
    QVERIFY(!page.inspector()->inspection().accepted);
}

void TstTokensPage::allNamespacesAndErrors()
{
    ui::TokensPage page;
    // No key yet: minting explains instead of failing silently.
    auto result = page.mint();
    QVERIFY(std::holds_alternative<QString>(result));
    QCOMPARE(child<QLabel>(&page, u"mintStatus"_s)->text(), std::get<QString>(result));

    page.generateKeyPair();
    child<QComboBox>(&page, u"mintNamespace"_s)->setCurrentText(QString());
    result = page.mint();
    QVERIFY(std::holds_alternative<QString>(result)); // a namespace or "all" is needed

    child<QCheckBox>(&page, u"mintAllNamespaces"_s)->setChecked(true);
    selectData(child<QComboBox>(&page, u"mintAccess"_s), int(auth::Permissions::Access::ReadAttach));
    result = page.mint();
    QVERIFY(std::holds_alternative<QByteArray>(result));
    const auto keys = auth::KeySet::fromRawKeys({QByteArray::fromBase64(
        page.keyPair().publicKeyRaw, QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)});
    const auto inspection = auth::inspectToken(std::get<QByteArray>(result), &keys,
                                               QDateTime::currentSecsSinceEpoch(), u"anything"_s);
    QVERIFY(inspection.accepted);
    QCOMPARE(inspection.canReadNamespace, std::optional<bool>(true));
    QVERIFY(!inspection.claims.contains("\"id\""));
    QVERIFY(!inspection.claims.contains("\"exp\"")); // "Never" is the default expiry
    QVERIFY(inspection.claims.contains("\"roa\""));
}

void TstTokensPage::saveAndLoad()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString privatePath = dir.filePath(u"jwt_private.pem"_s);
    const QString publicPath = dir.filePath(u"jwt_public.pem"_s);

    ui::TokensPage page;
    QString error;
    QVERIFY(!page.saveKeyPair(privatePath, publicPath, &error)); // nothing to save yet
    QVERIFY(!error.isEmpty());
    page.generateKeyPair();
    QVERIFY2(page.saveKeyPair(privatePath, publicPath, &error), qPrintable(error));

    QFile privateFile(privatePath);
    QVERIFY(privateFile.open(QIODevice::ReadOnly));
    QCOMPARE(privateFile.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther), QFileDevice::Permissions());
    const auto readBack = auth::keyPairFromPrivateKey(privateFile.readAll());
    QVERIFY(std::holds_alternative<auth::KeyPair>(readBack));
    QCOMPARE(std::get<auth::KeyPair>(readBack).publicKeyPem, page.keyPair().publicKeyPem);
    QFile publicFile(publicPath);
    QVERIFY(publicFile.open(QIODevice::ReadOnly));
    const auto publicKeys = auth::KeySet::parse(publicFile.readAll());
    QVERIFY(std::holds_alternative<auth::KeySet>(publicKeys));

    // A second page loads the saved private key and shows the same public key.
    ui::TokensPage other;
    QVERIFY2(other.loadPrivateKey(privatePath, &error), qPrintable(error));
    QCOMPARE(other.keyPair().publicKeyRaw, page.keyPair().publicKeyRaw);
    QCOMPARE(child<QLineEdit>(&other, u"publicKeyRaw"_s)->text().toLatin1(), page.keyPair().publicKeyRaw);
    QVERIFY(!other.loadPrivateKey(publicPath, &error)); // a public key is not a private key
    QVERIFY(!other.loadPrivateKey(dir.filePath(u"missing.pem"_s), &error));
    QCOMPARE(other.keyPair().publicKeyRaw, page.keyPair().publicKeyRaw); // unchanged by the failures
}

void TstTokensPage::badPublicKey()
{
    ui::TokensPage page;
    page.generateKeyPair();
    child<QCheckBox>(&page, u"mintAllNamespaces"_s)->setChecked(true);
    page.inspector()->setToken(std::get<QByteArray>(page.mint()));
    page.inspector()->setPublicKey("not a key");
    QSignalSpy inspected(page.inspector(), &ui::TokenInspectPanel::inspected);
    QVERIFY(!page.inspector()->inspect());
    QCOMPARE(inspected.size(), 0);
    QVERIFY(child<QLabel>(&page, u"inspectSummary"_s)->text().contains(u"public key"_s));
    QCOMPARE(child<QTableWidget>(&page, u"inspectChecks"_s)->rowCount(), 0);
}

QTEST_MAIN(TstTokensPage)
#include "tst_tokenspage.moc"

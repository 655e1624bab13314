#include "tokeninspectpanel.h"

#include <QDateTime>
#include <QFile>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

#include "auth/keyset.h"

using namespace Qt::StringLiterals;

namespace qsqld::ui {

namespace {

using Status = auth::TokenCheck::Status;

enum Column { NameColumn, StatusColumn, DetailColumn, ColumnCount };

QString statusText(Status s)
{
    switch (s) {
    case Status::Pass: return TokenInspectPanel::tr("passed");
    case Status::Warning: return TokenInspectPanel::tr("warning");
    case Status::Fail: return TokenInspectPanel::tr("failed");
    case Status::Info: break;
    }
    return TokenInspectPanel::tr("info");
}

QIcon statusIcon(const QStyle *style, Status s)
{
    switch (s) {
    case Status::Pass: return style->standardIcon(QStyle::SP_DialogApplyButton);
    case Status::Warning: return style->standardIcon(QStyle::SP_MessageBoxWarning);
    case Status::Fail: return style->standardIcon(QStyle::SP_MessageBoxCritical);
    case Status::Info: break;
    }
    return style->standardIcon(QStyle::SP_MessageBoxInformation);
}

// Readable on light and dark palettes; Info keeps the palette's text colour.
std::optional<QColor> statusColor(Status s)
{
    switch (s) {
    case Status::Pass: return QColor(0x2e, 0x7d, 0x32);
    case Status::Warning: return QColor(0xb2, 0x6a, 0x00);
    case Status::Fail: return QColor(0xc6, 0x28, 0x28);
    case Status::Info: break;
    }
    return std::nullopt;
}

QPlainTextEdit *monospaceEdit(const QString &objectName, bool readOnly)
{
    auto *edit = new QPlainTextEdit;
    edit->setObjectName(objectName);
    edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    edit->setReadOnly(readOnly);
    edit->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    edit->setWordWrapMode(QTextOption::WrapAnywhere);
    return edit;
}

} // namespace

TokenInspectPanel::TokenInspectPanel(QWidget *parent)
    : QWidget(parent)
{
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(buildInputs());
    splitter->addWidget(buildResults());
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(splitter);
}

QWidget *TokenInspectPanel::buildInputs()
{
    m_token = monospaceEdit(u"inspectToken"_s, false);
    m_token->setPlaceholderText(tr("Paste a token (eyJ...)"));
    m_token->setMaximumHeight(m_token->fontMetrics().lineSpacing() * 5);
    m_key = monospaceEdit(u"inspectKey"_s, false);
    m_key->setPlaceholderText(tr("Optional: the server's public key, as PEM or as sqld's raw base64url line. "
                                 "Without it the signature is not checked."));
    m_key->setMaximumHeight(m_key->fontMetrics().lineSpacing() * 5);
    m_namespace = new QLineEdit;
    m_namespace->setObjectName(u"inspectNamespace"_s);
    m_namespace->setPlaceholderText(tr("Optional: check the rights on this namespace"));

    m_useKnownKey = new QPushButton(tr("Use the key pair's public key"));
    m_useKnownKey->setEnabled(false);
    connect(m_useKnownKey, &QPushButton::clicked, this, [this] { setPublicKey(m_knownPublicKey); });
    auto *loadKey = new QPushButton(tr("Load key file..."));
    connect(loadKey, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Public key"), {},
                                                          tr("Keys (*.pem *.b64 *.txt);;All files (*)"));
        if (path.isEmpty())
            return;
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return showError(tr("Cannot read %1: %2").arg(path, file.errorString()));
        setPublicKey(file.readAll());
    });
    auto *inspectButton = new QPushButton(tr("Inspect"));
    inspectButton->setObjectName(u"inspectButton"_s);
    inspectButton->setDefault(true);
    connect(inspectButton, &QPushButton::clicked, this, [this] { inspect(); });

    auto *keyButtons = new QHBoxLayout;
    keyButtons->addWidget(m_useKnownKey);
    keyButtons->addWidget(loadKey);
    keyButtons->addStretch();
    auto *box = new QWidget;
    auto *form = new QFormLayout(box);
    form->addRow(tr("Token:"), m_token);
    form->addRow(tr("Public key:"), m_key);
    form->addRow(QString(), keyButtons);
    form->addRow(tr("Namespace:"), m_namespace);
    form->addRow(QString(), inspectButton);
    return box;
}

QWidget *TokenInspectPanel::buildResults()
{
    m_summary = new QLabel;
    m_summary->setObjectName(u"inspectSummary"_s);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_summary->font();
    bold.setBold(true);
    m_summary->setFont(bold);

    m_checks = new QTableWidget(0, ColumnCount);
    m_checks->setObjectName(u"inspectChecks"_s);
    m_checks->setHorizontalHeaderLabels({tr("Check"), tr("Status"), tr("Detail")});
    m_checks->horizontalHeader()->setSectionResizeMode(DetailColumn, QHeaderView::Stretch);
    m_checks->verticalHeader()->hide();
    m_checks->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_checks->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_checks->setWordWrap(true);

    m_header = monospaceEdit(u"inspectHeader"_s, true);
    m_claims = monospaceEdit(u"inspectClaims"_s, true);
    auto *decoded = new QSplitter(Qt::Horizontal);
    for (auto [title, edit] : {std::pair{tr("Header"), m_header}, std::pair{tr("Claims"), m_claims}}) {
        auto *part = new QWidget;
        auto *partLayout = new QVBoxLayout(part);
        partLayout->setContentsMargins(0, 0, 0, 0);
        partLayout->addWidget(new QLabel(title));
        partLayout->addWidget(edit);
        decoded->addWidget(part);
    }

    auto *box = new QWidget;
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_summary);
    layout->addWidget(m_checks, 2);
    layout->addWidget(decoded, 1);
    return box;
}

void TokenInspectPanel::setToken(const QByteArray &token)
{
    m_token->setPlainText(QString::fromLatin1(token));
}

void TokenInspectPanel::setPublicKey(const QByteArray &keyText)
{
    m_key->setPlainText(QString::fromUtf8(keyText));
}

void TokenInspectPanel::setNamespace(const QString &ns)
{
    m_namespace->setText(ns);
}

void TokenInspectPanel::setKnownPublicKey(const QByteArray &pem)
{
    m_knownPublicKey = pem;
    m_useKnownKey->setEnabled(!pem.isEmpty());
}

bool TokenInspectPanel::inspect(std::optional<qint64> now)
{
    const QByteArray keyText = m_key->toPlainText().trimmed().toUtf8();
    std::optional<auth::KeySet> keys;
    if (!keyText.isEmpty()) {
        auto parsed = auth::KeySet::parse(keyText);
        if (const auto *error = std::get_if<QString>(&parsed)) {
            showError(tr("The public key cannot be used: %1").arg(*error));
            return false;
        }
        keys = std::get<auth::KeySet>(std::move(parsed));
    }
    // LIBSQL_GID is a property of the server, unknown here: `tags` claims are judged without it.
    m_inspection = auth::inspectToken(m_token->toPlainText().trimmed().toUtf8(), keys ? &*keys : nullptr,
                                      now.value_or(QDateTime::currentSecsSinceEpoch()), m_namespace->text().trimmed());
    showInspection();
    emit inspected(m_inspection.accepted);
    return true;
}

void TokenInspectPanel::showInspection()
{
    m_checks->setRowCount(0);
    for (const auth::TokenCheck &check : m_inspection.checks) {
        const int row = m_checks->rowCount();
        m_checks->insertRow(row);
        auto *status = new QTableWidgetItem(statusIcon(style(), check.status), statusText(check.status));
        status->setData(Qt::UserRole, int(check.status));
        if (const auto color = statusColor(check.status))
            status->setForeground(*color);
        m_checks->setItem(row, NameColumn, new QTableWidgetItem(check.name));
        m_checks->setItem(row, StatusColumn, status);
        m_checks->setItem(row, DetailColumn, new QTableWidgetItem(check.detail));
    }
    m_checks->resizeColumnToContents(NameColumn);
    m_checks->resizeColumnToContents(StatusColumn);
    m_checks->resizeRowsToContents();
    m_header->setPlainText(QString::fromUtf8(m_inspection.header));
    m_claims->setPlainText(QString::fromUtf8(m_inspection.claims));
    const bool rejected = m_inspection.error || (m_inspection.canReadNamespace && !*m_inspection.canReadNamespace);
    const auto color = statusColor(rejected ? Status::Fail : m_inspection.accepted ? Status::Pass : Status::Info);
    m_summary->setStyleSheet(color ? u"color: %1"_s.arg(color->name()) : QString());
    m_summary->setText(m_inspection.summary());
}

void TokenInspectPanel::showError(const QString &message)
{
    m_inspection = {};
    m_checks->setRowCount(0);
    m_header->clear();
    m_claims->clear();
    m_summary->setStyleSheet(u"color: %1"_s.arg(statusColor(Status::Fail)->name()));
    m_summary->setText(message);
}

} // namespace qsqld::ui
